#!/usr/bin/env python3
"""Cluster test 8 (kill test, about 75 s): four client threads insert rows with unique values and
write/read one key register (reads at linearizable and strong) on random nodes of a 3-node
cluster while a random node -- the leader 2 times in 3 -- is SIGKILLed every 3-5 s and restarted.
After healing: every acknowledged row is present exactly once on every node, all nodes at the
same applied index hold identical content, and the register history is linearizable
(uq-lincheck). UQ_KILL_SECONDS sets the length of the chaos phase (default 40)."""
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import workload  # noqa: E402

CHAOS_SECONDS = float(os.environ.get("UQ_KILL_SECONDS", "40"))
# UQ_KILL_NODES=1 runs the same workload against one node (kill, restart) for trying the harness
# on a build without the cluster feature.
NODES = int(os.environ.get("UQ_KILL_NODES", "3"))


def current_leader(cluster, nodes):
    """The leader as some running node sees it (None if unknown): one bounded request."""
    for n in random.sample(nodes, len(nodes)):
        if not n.running():
            continue
        client = n.new_client(timeout=2)
        try:
            r = client.get("/status")
            leader_id = r.json()["store"]["leader"]["node_id"] if r.status == 200 else ""
            return cluster.nodes.get(leader_id)
        except (OSError, ValueError, KeyError):
            continue
        finally:
            client.close()
    return None


def chaos(cluster, nodes, seconds):
    """SIGKILLs one node every 3-5 s (the leader with probability 2/3) and restarts it after
    0.2-1 s; returns the list of (time, node id, was leader)."""
    kills = []
    start = time.monotonic()
    deadline = start + seconds
    while True:
        pause = random.uniform(3.0, 5.0)
        if time.monotonic() + pause > deadline:
            break
        time.sleep(pause)
        leader = current_leader(cluster, nodes)
        if leader is not None and random.random() < 2 / 3:
            victim = leader
        else:
            victim = random.choice([n for n in nodes if n is not leader] or nodes)
        victim.kill()
        kills.append((round(time.monotonic() - start, 1), victim.id, victim is leader))
        time.sleep(random.uniform(0.2, 1.0))
        victim.start()
    return kills


class KillTest(unittest.TestCase):
    def test_acknowledged_writes_survive_random_sigkills(self):
        with harness.Cluster("kill") as c:
            if NODES == 1:
                leader, followers = c.start_node(1).wait_ready(), []
            else:
                nodes = c.start_bootstrap_expect(NODES)
                c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
                leader = c.wait_leader(nodes)
                followers = c.followers(leader, nodes)
            nodes = [leader] + followers
            r = leader.execute(workload.CREATE)
            self.assertEqual(r.status, 200, r)
            c.wait_applied(leader.applied_index(), nodes)

            recorder = workload.Recorder()
            stop = threading.Event()
            writers = workload.run_writers(nodes, recorder, stop, count=4)
            try:
                kills = chaos(c, nodes, CHAOS_SECONDS)
            finally:
                stop.set()
                workload.join_writers(writers)
            print(f"kills (s, node, leader?): {kills}", file=sys.stderr)
            print(f"outcomes: {dict(sorted(recorder.outcomes.items()))}", file=sys.stderr)

            c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
            c.wait_leader(nodes)
            workload.check_converged(c, nodes, recorder)
            workload.check_register_linearizable(recorder, c.root)
            # A run in which nothing was acknowledged proves nothing.
            self.assertGreater(len(kills), 0)
            self.assertGreater(len(recorder.acked_rows), 0)
            self.assertGreater(recorder.outcomes["register-write:acked"], 0)
            self.assertGreater(sum(v for k, v in recorder.outcomes.items()
                                   if k.startswith("register-read") and k.endswith(":acked")), 0)


if __name__ == "__main__":
    harness.main()
