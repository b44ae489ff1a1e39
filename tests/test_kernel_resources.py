#!/usr/bin/env python3
"""The kernel resource-budget checker (scripts/check_kernel_resources.py) on canned compiler outputs:
within budget passes, the 2026-12-04 kernel (REG:182 STACK:7544) and spills fail with one message per
kernel, a pattern matching nothing fails. Usage: test_kernel_resources.py CHECKER FIXTURE_DIR"""
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER, DATA = sys.argv[1], sys.argv[2]
BUDGET = ["--max-registers", "128", "--max-stack", "256", "--max-spill-bytes", "0"]


def run(*args, demangler="none"):
    cmd = [sys.executable, CHECKER, "check", "--cuobjdump", "none", "--demangler", demangler, *BUDGET, *args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout + p.stderr


def fixture(name):
    return os.path.join(DATA, name)


class Checker(unittest.TestCase):
    def test_within_budget_passes(self):
        rc, out = run("--report", fixture("within_budget_ptxas.txt"))
        self.assertEqual(rc, 0, out)
        self.assertIn("1 kernel(s) matching 'hedging'", out)
        self.assertIn("registers 120, stack 96 bytes, spill stores 0 bytes, spill loads 0 bytes  ok", out)
        self.assertIn("kernel resource budget: OK", out)
        self.assertNotIn("terminal_kernel", out)  # over budget, but not matched by the pattern

    def test_pattern_selects_kernels(self):
        rc, out = run("--pattern", "terminal", "--report", fixture("within_budget_ptxas.txt"))
        self.assertEqual(rc, 1, out)
        self.assertIn("registers 255 > 128; stack 4096 > 256; spill_stores 64 > 0; spill_loads 64 > 0", out)

    def test_current_kernel_fails(self):
        rc, out = run("--report", fixture("over_budget_cuobjdump.txt"))
        self.assertEqual(rc, 1, out)
        self.assertIn("FAILED: 14 of 14 kernel(s) matching 'hedging' break the budget: registers <= 128, "
                      "stack <= 256 bytes, spill stores and loads <= 0 bytes", out)
        self.assertIn("OVER BUDGET: registers 182 > 128; stack 7544 > 256", out)
        self.assertIn("OVER BUDGET: registers 170 > 128; stack 7544 > 256", out)  # <float, GBM>
        self.assertEqual(out.count("OVER BUDGET"), 14)
        self.assertNotIn("terminal_kernel", out)
        self.assertIn("spill stores ? bytes", out)  # cuobjdump does not report spills

    def test_demangled_names(self):
        for tool in ("cu++filt", "c++filt"):
            path = next((os.path.join(d, tool) for d in os.environ.get("PATH", "").split(os.pathsep)
                         + ["/usr/local/cuda/bin"] if os.access(os.path.join(d, tool), os.X_OK)), None)
            if path:
                break
        else:
            self.skipTest("no demangler (cu++filt or c++filt)")
        rc, out = run("--report", fixture("over_budget_cuobjdump.txt"), demangler=path)
        self.assertEqual(rc, 1, out)
        self.assertIn("sm_90  void hedgesim::(anonymous namespace)::hedging_kernel<double, "
                      "hedgesim::BatesModel<double, (hedgesim::VarianceScheme)1> >", out.replace(">>", "> >"))
        rc, out = run("--pattern", r"hedging_kernel<float, hedgesim::GbmModel",
                      "--report", fixture("over_budget_cuobjdump.txt"), demangler=path)
        self.assertEqual(rc, 1, out)
        self.assertIn("FAILED: 1 of 1 kernel(s)", out)

    def test_spills_fail(self):
        rc, out = run("--report", fixture("spills_ptxas.txt"))
        self.assertEqual(rc, 1, out)
        self.assertIn("OVER BUDGET: spill_stores 40 > 0; spill_loads 24 > 0", out)
        self.assertIn("registers 128, stack 40 bytes", out)

    def test_both_reports_merge_to_the_worst(self):
        rc, out = run("--report", fixture("within_budget_ptxas.txt"),
                      "--report", fixture("over_budget_cuobjdump.txt"))
        self.assertEqual(rc, 1, out)
        self.assertIn("registers 180, stack 7544 bytes, spill stores 0 bytes, spill loads 0 bytes", out)

    def test_no_matching_kernel_fails(self):
        rc, out = run("--pattern", "no_such_kernel", "--report", fixture("over_budget_cuobjdump.txt"))
        self.assertEqual(rc, 1, out)
        self.assertIn("FAILED: no kernel matches the pattern 'no_such_kernel'", out)

    def test_object_without_capture_report_fails(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out = run(os.path.join(d, "x.cu.o"))
        self.assertEqual(rc, 1, out)
        self.assertIn("no ptxas report", out)

    def test_capture_writes_the_report(self):
        # A stand-in compiler that prints ptxas -v lines and a warning, and writes its -o output.
        with tempfile.TemporaryDirectory() as d:
            fake = os.path.join(d, "fake_nvcc.py")
            with open(fake, "w") as f:
                f.write("import sys\nassert sys.argv[-1] == '-Xptxas=-v'\n"
                        "sys.stderr.write(open(sys.argv[1]).read() + 'k.cu(3): warning: something\\n')\n"
                        "open(sys.argv[sys.argv.index('-o') + 1], 'w').close()\n")
            obj = os.path.join(d, "k.cu.o")
            p = subprocess.run([sys.executable, CHECKER, "capture", "--", sys.executable, fake,
                                fixture("spills_ptxas.txt"), "-c", "k.cu", "-o", obj],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("warning: something", p.stderr)
            self.assertNotIn("ptxas info", p.stderr)
            rc, out = run(obj)
        self.assertEqual(rc, 1, out)
        self.assertIn("OVER BUDGET: spill_stores 40 > 0; spill_loads 24 > 0", out)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
