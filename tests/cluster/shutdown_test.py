#!/usr/bin/env python3
"""Graceful shutdown in a cluster (spec §8.3): a leader stopped with SIGTERM hands leadership
over first (-raft-shutdown-stepdown, on by default), so a new leader is known at once instead of
after an election timeout; a node with -raft-cluster-remove-shutdown removes itself through the
leader before it exits; both exit 0. -raft-remove-shutdown stops a node the cluster removed, and
-raft-reap-node-timeout makes the leader remove a voter it has not heard from for that long."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class GracefulShutdown(unittest.TestCase):
    def test_leader_hands_over_and_a_leaving_node_removes_itself(self):
        with harness.Cluster("shutdown") as c:
            leader, followers = harness.start_three(c)
            n4 = c.start_node(4, join=leader, extra_flags=["-raft-cluster-remove-shutdown"])
            n4.wait_ready(timeout=harness.LEADER_TIMEOUT)
            self.assertEqual(sorted(harness.nodes_listed(leader)), ["1", "2", "3", "4"])

            self.assertEqual(n4.stop(), 0)
            harness.wait_until("node 4 removed from the configuration",
                               lambda: sorted(harness.nodes_listed(leader)) == ["1", "2", "3"]
                               or None, timeout=5)

            stopped_at = time.monotonic()
            self.assertEqual(leader.stop(), 0)
            new_leader = c.wait_leader(followers, timeout=harness.LEADER_TIMEOUT)
            handover = time.monotonic() - stopped_at
            self.assertIn(new_leader, followers)
            # Without the hand-over the followers would wait at least one election timeout
            # (1 s) after the old leader's last heartbeat before even campaigning.
            self.assertLess(handover, 1.0, f"new leader known {handover:.2f} s after SIGTERM")
            r = new_leader.execute(["CREATE TABLE t (x)"])
            self.assertEqual(r.text, '{"results":[{}]}')


    def test_unreachable_voter_is_reaped_and_a_removed_node_shuts_down(self):
        flags = ["-raft-reap-node-timeout", "2s", "-raft-remove-shutdown"]
        with harness.Cluster("reap") as c:
            leader, followers = harness.start_three(c, extra_flags=flags)
            n4 = c.start_node(4, join=leader, extra_flags=flags)
            n4.wait_ready(timeout=harness.LEADER_TIMEOUT)

            # -raft-remove-shutdown: removed through the API, node 4 exits by itself, status 0.
            r = leader.client.request("DELETE", "/remove", body={"id": "4"})
            self.assertEqual(r.status, 200, r)
            harness.wait_until("node 4 to exit after its removal",
                               lambda: not n4.running() or None, timeout=10)
            self.assertEqual(n4.stop(), 0)

            # -raft-reap-node-timeout: a voter silent for longer is removed by the leader.
            victim = followers[0]
            victim.kill()
            harness.wait_until(
                f"node {victim.id} reaped",
                lambda: victim.id not in harness.nodes_listed(leader, "timeout=1s") or None,
                timeout=15)
            r = leader.execute(["CREATE TABLE t (x)"])
            self.assertEqual(r.text, '{"results":[{}]}')


if __name__ == "__main__":
    harness.main()
