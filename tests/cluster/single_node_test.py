#!/usr/bin/env python3
"""Cluster test 1: a single node is a one-member cluster: restarts (SIGTERM and SIGKILL) keep every
acknowledged write, /status names the node itself as leader, every read level answers the
exact bodies rqlite gives, and reads right after writes see them whether the read hand-offs poll
(-handoff-poll) or sleep."""
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CREATE = ["CREATE TABLE foo (id integer not null primary key, name text)"]
SELECT_BODY = ('{"results":[{"columns":["id","name"],"types":["integer","text"],'
               '"values":[[1,"fiona"],[2,"declan"]]}]}')
LEVELS = ["none", "weak", "linearizable", "strong", "auto"]


def write_rows(node):
    r = node.execute(CREATE)
    assert (r.status, r.text) == (200, '{"results":[{}]}'), r
    r = node.execute(['INSERT INTO foo(name) VALUES("fiona")'])
    assert (r.status, r.text) == (200, '{"results":[{"last_insert_id":1,"rows_affected":1}]}'), r
    r = node.execute(['INSERT INTO foo(name) VALUES("declan")'])
    assert (r.status, r.text) == (200, '{"results":[{"last_insert_id":2,"rows_affected":1}]}'), r


class SingleNode(unittest.TestCase):
    def restart_keeps_data(self, hard):
        with harness.Cluster("single") as c:
            node = c.start_node(1).wait_ready()
            write_rows(node)
            if hard:
                node.kill()
            else:
                self.assertEqual(node.stop(), 0, "uqlited exits 0 after SIGTERM")
            node.start().wait_ready()
            # Linearizable must see every acknowledged write at once; level=none within a bound
            # (the spec does not say /readyz waits for the log to be re-applied).
            r = node.query(["SELECT * FROM foo"], level="linearizable")
            self.assertEqual((r.status, r.text), (200, SELECT_BODY))
            harness.wait_rows(node, "SELECT * FROM foo", [[1, "fiona"], [2, "declan"]])
            # The restarted node still accepts writes, numbered after the old rows.
            r = node.execute(['INSERT INTO foo(name) VALUES("aoife")'])
            self.assertEqual(r.text, '{"results":[{"last_insert_id":3,"rows_affected":1}]}')

    def test_restart_after_sigterm_keeps_every_acknowledged_write(self):
        self.restart_keeps_data(hard=False)

    def test_restart_after_sigkill_keeps_every_acknowledged_write(self):
        self.restart_keeps_data(hard=True)

    def test_status_names_the_node_itself_as_leader(self):
        with harness.Cluster("single") as c:
            node = c.start_node(1).wait_ready()
            store = node.store()
            self.assertEqual(store["leader"], {"addr": node.raft_addr, "node_id": "1"})
            self.assertEqual(store["raft"]["state"], "Leader")
            self.assertIs(store["raft"]["voter"], True)
            self.assertEqual(c.wait_leader(), node)
            r = node.client.get("/readyz")
            self.assertEqual((r.status, r.text),
                             (200, "[+]node ok\n[+]leader ok\n[+]store ok\n[+]db ok"))

    def test_every_read_level_answers_the_exact_body(self):
        with harness.Cluster("single") as c:
            node = c.start_node(1).wait_ready()
            write_rows(node)
            for level in LEVELS:
                with self.subTest(level=level):
                    r = node.query(["SELECT * FROM foo"], level=level)
                    self.assertEqual((r.status, r.text), (200, SELECT_BODY))
                    self.assertEqual(r.header("X-Rqlite-Served-By"), node.http_addr)
                    r = node.client.get("/db/query?level=" + level +
                                        "&q=SELECT%20name%20FROM%20foo%20WHERE%20id%3D2")
                    self.assertEqual(r.text, '{"results":[{"columns":["name"],"types":["text"],'
                                             '"values":[["declan"]]}]}')

    def test_each_read_right_after_a_write_sees_it_whether_hand_offs_poll_or_sleep(self):
        # Gaps around the 100 us poll budget: a reply or request that lands while the other
        # side polls skips its wake-up, one that lands later must still wake it.
        rng = random.Random(11)
        for flags in ([], ["-handoff-poll", "0"], ["-handoff-poll", "20us"]):
            with self.subTest(flags=flags), harness.Cluster("single") as c:
                node = c.start_node(1, extra_flags=flags).wait_ready()
                r = node.execute(CREATE)
                self.assertEqual(r.status, 200)
                for i in range(1, 121):
                    r = node.execute([f'INSERT INTO foo(name) VALUES("n{i}")'])
                    self.assertEqual(r.text, '{"results":[{"last_insert_id":%d,'
                                             '"rows_affected":1}]}' % i)
                    time.sleep(rng.choice([0, 0, 0.00005, 0.0002, 0.002]))
                    r = node.client.get("/db/query?level=none&q=SELECT%20count(*)%20FROM%20foo")
                    self.assertEqual(r.text, '{"results":[{"columns":["count(*)"],'
                                             '"types":["integer"],"values":[[%d]]}]}' % i)


if __name__ == "__main__":
    harness.main()
