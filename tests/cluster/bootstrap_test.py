#!/usr/bin/env python3
"""Cluster test 2: three voters started with -bootstrap-expect 3 (the same -join list of their
three Raft addresses) elect one leader that every node names in /status; a write on the leader is
readable at level=none on every node within 3 s; a full-cluster restart keeps the data and elects
a leader again."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class BootstrapExpectThree(unittest.TestCase):
    def assert_one_leader(self, cluster, nodes):
        leader = cluster.wait_leader(nodes)
        states = {}
        for n in nodes:
            store = n.store()
            self.assertEqual(store["leader"], {"addr": leader.raft_addr, "node_id": leader.id},
                             f"/status of node {n.id}")
            states[n.id] = store["raft"]["state"]
        self.assertEqual(sorted(states.values()), ["Follower", "Follower", "Leader"], states)
        return leader

    def test_three_nodes_elect_one_leader_replicate_and_survive_a_full_restart(self):
        with harness.Cluster("bootstrap3") as c:
            nodes = c.start_bootstrap_expect(3)
            c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
            leader = self.assert_one_leader(c, nodes)

            r = leader.execute(["CREATE TABLE foo (id integer not null primary key, name text)",
                                'INSERT INTO foo(name) VALUES("fiona")'])
            self.assertEqual(r.text, '{"results":[{},{"last_insert_id":1,"rows_affected":1}]}')
            for n in nodes:
                harness.wait_rows(n, "SELECT * FROM foo", [[1, "fiona"]], timeout=3.0)

            for n in nodes:
                self.assertEqual(n.stop(), 0, f"node {n.id} exits 0 after SIGTERM")
            for n in nodes:
                n.start()
            c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
            leader = self.assert_one_leader(c, nodes)
            for n in nodes:
                harness.wait_rows(n, "SELECT * FROM foo", [[1, "fiona"]], timeout=3.0)
            r = leader.execute(['INSERT INTO foo(name) VALUES("declan")'])
            self.assertEqual(r.text, '{"results":[{"last_insert_id":2,"rows_affected":1}]}')
            for n in nodes:
                harness.wait_rows(n, "SELECT * FROM foo", [[1, "fiona"], [2, "declan"]])


if __name__ == "__main__":
    harness.main()
