#!/usr/bin/env python3
"""Cluster test 3: nodes joining by -join. Node 1 bootstraps alone, node 2 joins it, node 3 joins
through node 2 (a follower, which points it at the leader); a late joiner (node 4) receives every
earlier write. Five voters started with -bootstrap-expect 5 elect one leader and replicate."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROWS = [[i, f"name{i}"] for i in range(1, 21)]


def write_rows(leader):
    r = leader.execute(["CREATE TABLE foo (id integer not null primary key, name text)"])
    assert r.text == '{"results":[{}]}', r
    r = leader.execute([["INSERT INTO foo(id, name) VALUES(?, ?)", i, name] for i, name in ROWS],
                       params="transaction")
    assert r.status == 200 and "error" not in r.text, r


class Join(unittest.TestCase):
    def test_join_through_leader_and_follower_then_a_late_joiner_gets_all_data(self):
        with harness.Cluster("join") as c:
            n1 = c.start_node(1).wait_ready()
            self.assertEqual(c.wait_leader([n1]), n1)
            n2 = c.start_node(2, join=n1).wait_ready(timeout=harness.LEADER_TIMEOUT)
            self.assertEqual(c.wait_leader([n1, n2]), n1)
            n3 = c.start_node(3, join=n2).wait_ready(timeout=harness.LEADER_TIMEOUT)
            self.assertEqual(c.wait_leader([n1, n2, n3]), n1)

            for n in (n1, n2, n3):
                listed = harness.nodes_listed(n)
                self.assertEqual(sorted(listed), ["1", "2", "3"], f"/nodes on node {n.id}")
                for node_id, info in listed.items():
                    self.assertIs(info["voter"], True, info)
                    self.assertEqual(info["addr"], c.nodes[node_id].raft_addr, info)
                    self.assertEqual(info["api_addr"], "http://" + c.nodes[node_id].http_addr)
                    self.assertIs(info["reachable"], True, info)
                    self.assertIs(info["leader"], node_id == "1", info)

            write_rows(n1)
            for n in (n1, n2, n3):
                harness.wait_rows(n, "SELECT * FROM foo", ROWS, timeout=3.0)

            n4 = c.start_node(4, join=n1).wait_ready(timeout=harness.LEADER_TIMEOUT)
            self.assertEqual(c.wait_leader([n1, n2, n3, n4]), n1)
            c.wait_applied(n1.applied_index(), [n4])
            harness.wait_rows(n4, "SELECT * FROM foo", ROWS, timeout=3.0)
            self.assertEqual(sorted(harness.nodes_listed(n1)), ["1", "2", "3", "4"])

    def test_five_nodes_by_bootstrap_expect_elect_one_leader_and_replicate(self):
        with harness.Cluster("bootstrap5") as c:
            nodes = c.start_bootstrap_expect(5)
            c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
            leader = c.wait_leader(nodes)
            states = sorted(n.raft_state() for n in nodes)
            self.assertEqual(states, ["Follower"] * 4 + ["Leader"])
            write_rows(leader)
            for n in nodes:
                harness.wait_rows(n, "SELECT * FROM foo", ROWS, timeout=3.0)
            self.assertEqual(sorted(harness.nodes_listed(leader)), ["1", "2", "3", "4", "5"])


if __name__ == "__main__":
    harness.main()
