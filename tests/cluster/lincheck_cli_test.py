#!/usr/bin/env python3
"""uq-lincheck (the CLI over tests/raft/linearizability.h) gives the verdicts the kill test relies
on: a linearizable history exits 0, a stale read exits 1, malformed input exits 2."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def lincheck(text):
    tool = os.environ.get("UQ_LINCHECK")
    if not tool:
        raise unittest.SkipTest("set UQ_LINCHECK to the uq-lincheck binary")
    p = subprocess.run([tool, "-"], input=text.encode(), capture_output=True, timeout=30)
    return p.returncode, (p.stdout + p.stderr).decode()


class LincheckCli(unittest.TestCase):
    def test_sequential_history_is_linearizable(self):
        rc, out = lincheck("# key kind value call ret\n"
                           "k1 r 0 1 2\n"
                           "k1 w 5 3 4\n"
                           "k1 r 5 5 6\n")
        self.assertEqual(rc, 0, out)
        self.assertIn("linearizable: 3 operations", out)

    def test_read_of_an_overwritten_value_is_not_linearizable(self):
        rc, out = lincheck("k1 w 5 1 2\nk1 w 7 3 4\nk1 r 5 5 6\n")
        self.assertEqual(rc, 1, out)
        self.assertIn("NOT linearizable: key k1", out)

    def test_write_that_never_returned_may_take_effect_late(self):
        rc, out = lincheck("k1 w 5 1 -\nk1 r 0 2 3\nk1 r 5 10 11\n")
        self.assertEqual(rc, 0, out)

    def test_read_of_a_value_never_written_is_not_linearizable(self):
        rc, out = lincheck("k1 w 5 1 2\nk1 r 9 3 4\n")
        self.assertEqual(rc, 1, out)

    def test_malformed_lines_are_rejected_with_their_line_number(self):
        for bad in ["k1 x 5 1 2", "k1 w five 1 2", "k1 w 5 1", "k1 w 5 3 2", "k1 w 5 1 2 3"]:
            with self.subTest(line=bad):
                rc, out = lincheck("k1 w 1 0 1\n" + bad + "\n")
                self.assertEqual(rc, 2, out)
                self.assertIn("stdin:2:", out)


if __name__ == "__main__":
    harness.main()
