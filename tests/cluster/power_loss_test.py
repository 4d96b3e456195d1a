#!/usr/bin/env python3
"""Cluster test 10 (power loss, about 40 s): three nodes run with UQ_TEST_POWER_LOSS=1 (the lead's
contract: the WAL records how far it has synced, and a node started with the variable set
discards every byte written after its last completed fdatasync, as a power cut would). Clients
write continuously while a random node, or all three at once, is SIGKILLed and restarted. No
acknowledged write may be lost: every acknowledged row is on every node afterwards, content is
identical, and the register history stays linearizable.
UQ_POWER_NODES=1 runs the same rounds against one node (to try the harness without clustering)."""
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import workload  # noqa: E402

ENV = {"UQ_TEST_POWER_LOSS": "1"}
NODES = int(os.environ.get("UQ_POWER_NODES", "3"))
ROUNDS = ["one", "all", "one", "all", "one", "one"]


class PowerLoss(unittest.TestCase):
    def test_no_acknowledged_write_is_lost_when_unsynced_wal_bytes_are_dropped(self):
        with harness.Cluster("powerloss") as c:
            if NODES == 1:
                nodes = [c.start_node(1, env=ENV).wait_ready()]
            else:
                nodes = c.start_bootstrap_expect(NODES, env=ENV)
            c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
            leader = c.wait_leader(nodes)
            r = leader.execute(workload.CREATE)
            self.assertEqual(r.status, 200, r)
            c.wait_applied(leader.applied_index(), nodes)

            recorder = workload.Recorder()
            stop = threading.Event()
            writers = workload.run_writers(nodes, recorder, stop, count=3)
            rounds = random.sample(ROUNDS, len(ROUNDS))
            try:
                for kind in rounds:
                    time.sleep(random.uniform(2.0, 4.0))
                    victims = nodes if kind == "all" else [random.choice(nodes)]
                    for v in victims:
                        v.kill()
                    time.sleep(random.uniform(0.1, 0.5))
                    for v in victims:
                        v.start()
                    # Let the cluster heal before the next cut, so every round loses power
                    # on a cluster that was serving writes.
                    c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
                time.sleep(2.0)
            finally:
                stop.set()
                workload.join_writers(writers)
            print(f"rounds: {rounds}", file=sys.stderr)
            print(f"outcomes: {dict(sorted(recorder.outcomes.items()))}", file=sys.stderr)

            c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
            c.wait_leader(nodes)
            workload.check_converged(c, nodes, recorder)
            workload.check_register_linearizable(recorder, c.root)
            self.assertGreater(len(recorder.acked_rows), 0)


if __name__ == "__main__":
    harness.main()
