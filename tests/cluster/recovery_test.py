#!/usr/bin/env python3
"""Recovery after a permanent loss of quorum (spec §8.2): two of three nodes are gone for good;
the operator writes raft/peers.json naming the survivor and restarts it. It comes back as the
leader of a one-node cluster holding every write the old cluster acknowledged, takes new
writes, and has renamed the file to peers.info. A malformed peers.json stops the node at start
with a message naming the file."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROWS = [[i, f"name{i}"] for i in range(1, 31)]


class PeersJsonRecovery(unittest.TestCase):
    def test_a_lone_survivor_recovers_the_cluster_from_peers_json(self):
        with harness.Cluster("recovery") as c:
            leader, followers = harness.start_three(c)
            nodes = [leader] + followers
            r = leader.execute(["CREATE TABLE foo (id integer not null primary key, name text)"])
            self.assertEqual(r.text, '{"results":[{}]}')
            for i, name in ROWS:
                r = leader.execute([["INSERT INTO foo(id, name) VALUES(?, ?)", i, name]])
                self.assertEqual(r.status, 200, r)
            c.wait_applied(leader.applied_index(), nodes)

            survivor = followers[0]
            for n in nodes:
                if n is not survivor:
                    n.kill()  # gone for good
            self.assertEqual(survivor.stop(), 0)

            raft_dir = os.path.join(survivor.dir, "raft")
            with open(os.path.join(raft_dir, "peers.json"), "w") as f:
                f.write("[{\"id\": 42}]")
            survivor.start()
            harness.wait_until("the node to refuse a malformed peers.json",
                               lambda: not survivor.running() or None, timeout=10)
            self.assertIn("peers.json", survivor.log_text())

            with open(os.path.join(raft_dir, "peers.json"), "w") as f:
                json.dump([{"id": survivor.id, "address": survivor.raft_addr}], f)
            survivor.start().wait_ready(timeout=harness.LEADER_TIMEOUT)
            self.assertEqual(c.wait_leader([survivor]), survivor)
            harness.wait_rows(survivor, "SELECT * FROM foo ORDER BY id", ROWS)
            r = survivor.execute([["INSERT INTO foo(id, name) VALUES(?, ?)", 31, "after"]])
            self.assertEqual(r.text, '{"results":[{"last_insert_id":31,"rows_affected":1}]}')
            self.assertEqual(sorted(harness.nodes_listed(survivor)), [survivor.id])
            self.assertFalse(os.path.exists(os.path.join(raft_dir, "peers.json")))
            self.assertTrue(os.path.exists(os.path.join(raft_dir, "peers.info")))

            # And the recovered state survives a restart.
            self.assertEqual(survivor.stop(), 0)
            survivor.start().wait_ready(timeout=harness.LEADER_TIMEOUT)
            harness.wait_rows(survivor, "SELECT count(*) FROM foo", [[31]])


if __name__ == "__main__":
    harness.main()
