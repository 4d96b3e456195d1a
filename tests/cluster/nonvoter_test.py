#!/usr/bin/env python3
"""Cluster test 6: a read replica (-raft-non-voter -join ...) receives every write, reports
itself in /status as a Follower with voter=false, is left out of /nodes unless ?nonvoters, and
serves level=auto reads locally."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SELECT = "SELECT * FROM foo ORDER BY id"


class NonVoter(unittest.TestCase):
    def test_non_voter_receives_all_data_and_serves_auto_reads_locally(self):
        with harness.Cluster("nonvoter") as c:
            leader, followers = harness.start_three(c)
            r = leader.execute(["CREATE TABLE foo (id integer not null primary key, name text)",
                                'INSERT INTO foo(name) VALUES("before")'])
            self.assertEqual(r.status, 200, r)

            replica = c.start_node(4, join=followers[0], non_voter=True)
            replica.wait_ready(timeout=harness.LEADER_TIMEOUT)
            harness.wait_rows(replica, SELECT, [[1, "before"]], timeout=3.0)

            store = replica.store()
            self.assertIs(store["raft"]["voter"], False)
            self.assertEqual(store["raft"]["state"], "Follower")
            self.assertEqual(store["leader"], {"addr": leader.raft_addr, "node_id": leader.id})
            for m in leader.store()["nodes"]:
                self.assertEqual(m["suffrage"], "nonvoter" if m["id"] == "4" else "voter", m)

            for n in (leader, replica):
                with self.subTest(asked=n.id):
                    self.assertEqual(sorted(harness.nodes_listed(n)), ["1", "2", "3"])
                    listed = harness.nodes_listed(n, "nonvoters")
                    self.assertEqual(sorted(listed), ["1", "2", "3", "4"])
                    self.assertIs(listed["4"]["voter"], False)
                    self.assertEqual(listed["4"]["addr"], replica.raft_addr)

            r = leader.execute(['INSERT INTO foo(name) VALUES("after")'])
            self.assertEqual(r.status, 200, r)
            harness.wait_rows(replica, SELECT, [[1, "before"], [2, "after"]], timeout=3.0)

            r = replica.query([SELECT], level="auto")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("X-Rqlite-Served-By"), replica.http_addr)
            self.assertEqual(harness.rows(r), [[1, "before"], [2, "after"]])
            # A leader level on the replica is forwarded like on any follower.
            r = replica.query([SELECT], level="weak")
            self.assertEqual(r.header("X-Rqlite-Served-By"), leader.raft_addr)

            # With one voter down the two left still commit, and the replica keeps receiving.
            followers[1].stop()
            r = leader.execute(['INSERT INTO foo(name) VALUES("two voters")'])
            self.assertEqual(r.status, 200, r)
            harness.wait_rows(replica, "SELECT name FROM foo WHERE id=3", [["two voters"]])


if __name__ == "__main__":
    harness.main()
