#!/usr/bin/env python3
"""Queued writes in a cluster (spec §5): ?queue on a follower answers at once with increasing
sequence numbers; the batches go to the leader through the log; ?wait answers once the batch
holding the request is applied; every queued row ends up on every node, exactly once."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

QUEUED = 300


class QueuedWrites(unittest.TestCase):
    def test_queued_writes_on_a_follower_reach_every_node(self):
        with harness.Cluster("queue") as c:
            leader, followers = harness.start_three(c)
            nodes = [leader] + followers
            r = leader.execute(["CREATE TABLE q (id integer not null primary key, v text)"])
            self.assertEqual(r.text, '{"results":[{}]}')
            c.wait_applied(leader.applied_index(), nodes)

            follower = followers[0]
            client = follower.client
            sequences = []
            for i in range(1, QUEUED + 1):
                r = client.execute([["INSERT INTO q(id, v) VALUES(?, ?)", i, f"v{i}"]],
                                   params="queue")
                self.assertEqual(r.status, 200, r)
                m = re.fullmatch(r'\{"results":\[\],"sequence_number":(\d+)\}', r.text)
                self.assertIsNotNone(m, r.text)
                sequences.append(int(m.group(1)))
            self.assertEqual(sequences, sorted(set(sequences)), "strictly increasing")

            r = client.execute([["INSERT INTO q(id, v) VALUES(?, ?)", QUEUED + 1, "last"]],
                               params="queue&wait")
            self.assertEqual(r.status, 200, r)
            last = int(re.fullmatch(r'\{"results":\[\],"sequence_number":(\d+)\}',
                                    r.text).group(1))
            self.assertGreater(last, sequences[-1])
            # ?wait answered: the batch is applied on the leader, so a strong read sees it.
            r = follower.query(["SELECT count(*) FROM q"], level="strong")
            self.assertEqual(harness.rows(r), [[QUEUED + 1]])
            status = follower.status()
            self.assertEqual(status["http"]["queue"]["_default"]["sequence_number"], last)

            c.wait_applied(leader.applied_index(), nodes)
            expected = [[i, f"v{i}"] for i in range(1, QUEUED + 1)] + [[QUEUED + 1, "last"]]
            for n in nodes:
                harness.wait_rows(n, "SELECT * FROM q ORDER BY id", expected)


if __name__ == "__main__":
    harness.main()
