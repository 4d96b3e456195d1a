#!/usr/bin/env python3
"""Cluster test 5: membership changes from the outside (spec §6.3, §6.5). DELETE /remove sent to a
follower removes the named node (200, empty body) and /nodes stops listing it; malformed bodies
get 400 with an empty body; removing an unknown ID is not an error. POST /leader with
{"id": ...} moves leadership to that node, without a body to any other node, and refuses
impossible targets with 500 "stepdown: ..."."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

JSON = {"Content-Type": "application/json"}


class Remove(unittest.TestCase):
    def test_remove_on_a_follower_removes_the_node(self):
        with harness.Cluster("remove") as c:
            leader, (asked, removed) = harness.start_three(c)
            leader.execute(["CREATE TABLE foo (id integer not null primary key, name text)"])

            bad_bodies = ["", "not json", "[]", "{}", '{"idx":"%s"}' % removed.id,
                          '{"id":"%s","other":"x"}' % removed.id, '{"id":%s}' % removed.id,
                          '"%s"' % removed.id]
            for node in (asked, leader):
                for body in bad_bodies:
                    with self.subTest(node=node.id, body=body):
                        r = node.client.request("DELETE", "/remove", body=body, headers=JSON)
                        self.assertEqual((r.status, r.body), (400, b""), r)
            self.assertEqual(sorted(harness.nodes_listed(leader)), ["1", "2", "3"])

            r = asked.client.request("DELETE", "/remove", body='{"id":"%s"}' % removed.id,
                                     headers=JSON)
            self.assertEqual((r.status, r.body), (200, b""), r)
            remaining = sorted(n.id for n in (leader, asked))
            self.assertEqual(sorted(harness.nodes_listed(leader)), remaining)
            harness.wait_until("the follower's /nodes to drop the removed node",
                               lambda: sorted(harness.nodes_listed(asked)) == remaining, 3.0)
            self.assertNotIn(removed.id, [m["id"] for m in leader.store()["nodes"]])

            r = asked.client.request("DELETE", "/remove", body='{"id":"99"}', headers=JSON)
            self.assertEqual((r.status, r.body), (200, b""), "removing a non-member succeeds")

            removed.stop()
            r = asked.execute(['INSERT INTO foo(name) VALUES("after removal")'])
            self.assertEqual(r.text, '{"results":[{"last_insert_id":1,"rows_affected":1}]}')
            harness.wait_rows(leader, "SELECT name FROM foo", [["after removal"]])
            harness.wait_rows(asked, "SELECT name FROM foo", [["after removal"]])


class LeaderTransfer(unittest.TestCase):
    def stepdown(self, node, body=None):
        headers = JSON if body is not None else {}
        return node.client.post("/leader?wait", body=body, headers=headers, timeout=30)

    def test_post_leader_moves_leadership(self):
        with harness.Cluster("transfer") as c:
            leader, followers = harness.start_three(c)
            nodes = [leader] + followers
            target = followers[0]

            r = self.stepdown(leader, '{"id":"%s"}' % target.id)
            self.assertEqual((r.status, r.body), (200, b""), r)
            self.assertEqual(c.wait_leader(nodes), target)

            # Sent to a follower (the first leader) without a body: forwarded to the leader,
            # and another voter takes over.
            old = target
            r = self.stepdown(leader)
            self.assertEqual((r.status, r.body), (200, b""), r)
            new = c.wait_leader(nodes, exclude=old)
            self.assertNotEqual(new, old)

            r = self.stepdown(new, '{"id":"%s"}' % new.id)
            self.assertEqual(r.status, 500, r)
            self.assertTrue(r.text.startswith("stepdown: "), r)
            r = self.stepdown(new, '{"id":"99"}')
            self.assertEqual((r.status, r.text), (500, "stepdown: node not found in cluster\n"))
            r = self.stepdown(new, "{not json")
            self.assertEqual(r.status, 400, r)
            self.assertTrue(r.text.startswith("invalid JSON"), r)
            self.assertEqual(c.wait_leader(nodes), new, "failed transfers leave the leader")

            r = new.execute(["CREATE TABLE t (v integer)", "INSERT INTO t VALUES(1)"])
            self.assertEqual(r.status, 200, r)
            for n in nodes:
                harness.wait_rows(n, "SELECT v FROM t", [[1]])


if __name__ == "__main__":
    harness.main()
