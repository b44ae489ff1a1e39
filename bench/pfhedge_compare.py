#!/usr/bin/env python3
"""Side-by-side benchmark of hedgesim against pfhedge (PyTorch) on the same machine (issue 10).

The problem (configs/bench/pfhedge_gbm.yaml, configs/bench/pfhedge_heston.yaml): one short 30-day
at-the-money European call on a coin at S0 = K = 65000, hedged with the coin itself (spot, no funding),
1,000,000 paths x 720 hourly steps on a 24/7 calendar, under GBM (sigma = 60%) and Heston
(v0 = theta = 0.36, kappa = 2, xi = 1, rho = -0.3), by two policies: the Black-Scholes delta hedge at
every step and the Whalley-Wilmott no-trade band, with a proportional cost of 5 bp of traded notional.

For each model the script
  * builds the pfhedge side from the hedgesim config (every number is read from the YAML; keys pfhedge
    cannot express are refused), runs it once untimed (warm-up) and then --reps times, timing on the
    wall clock with torch.cuda.synchronize() around each phase: the path simulation once, then per
    policy Hedger.compute_hedge, pfhedge.nn.functional.pl and the cost term, and the reduction to
    mean/std. That is the work hedgesim does (one set of paths, every policy on it, summary statistics);
    hedgesim additionally computes quantiles, VaR/ES and histograms, which pfhedge is not asked for;
  * times the whole hedgesim process, `hedgesim run CONFIG --backend cuda --paths N --json`, with
    subprocess on the wall clock (process start, CUDA context, config parsing included), after one
    untimed small warm-up run, --reps times; once with the config as is (both policies) and once per
    policy with a single-policy copy of the config (written to a temporary folder), so that every
    policy has its own ratio. hedgesim's own elapsed_s and kernel_s from the JSON are reported beside;
  * compares the statistics: P&L mean and std and mean cost per policy from both tools. The random
    numbers differ (Philox in hedgesim, torch's generator in pfhedge), so the check is statistical: each
    difference must be within --sigmas (default 4) combined standard errors,
    SE(mean) = std/sqrt(N), SE(std) = std*sqrt((excess kurtosis + 2)/(4N)), combined = sqrt(SE1^2 + SE2^2).

Conventions, and how both sides are made to match (docs/benchmarks.md repeats this):
  * Time unit. pfhedge's stocks default to dt = 1/250 (a trading-day year); hedgesim's year is
    365 x 24 hours and a step is 1 day / steps_per_day. The script passes dt = 1/(365 * steps_per_day)
    = 1/8760 to pfhedge, and simulates with time_horizon = (steps - 1/2)*dt so that pfhedge's
    ceil(time_horizon/dt + 1) gives exactly steps + 1 prices (checked). pfhedge's time to maturity at
    step t is (steps - t)*dt, hedgesim's (expiry_step - t)*dt: the same.
  * Rebalancing points. pfhedge's Hedger decides at steps 0 ... T-1 (the decision at T-1 is held to
    expiry), starting from position 0 (prev_hedge = 0 for Whalley-Wilmott), and charges the first trade
    at t = 0 (pl(deduct_first_cost=True)); no trade at expiry. hedgesim decides at steps 0 ... T-1
    from position 0, charges every trade including the first, and values the final position at S_T
    without selling it. Same.
  * Cost. pfhedge charges c*|unit_t - unit_{t-1}|*S_t (c = stock.cost = 5e-4), hedgesim fee_bps/1e4 of
    the traded notional |dh|*S_t: the same number per trade. pfhedge's pl() returns P&L net of cost and
    does not return the cost itself; the script computes it with pl()'s own cost expression on the same
    hedge tensor (timed with the policy).
  * Premium and sign. pfhedge's pl() is the seller's P&L without the premium:
    sum unit_{t}(S_{t+1} - S_t) - payoff - cost. hedgesim's P&L (quantity -1) includes the premium
    received at t = 0 (GBM: Black-Scholes at the implied vol; Heston with instantaneous deltas: the
    Heston closed form). The script adds hedgesim's reported premium (`premiums` in its JSON) to
    pfhedge's P&L, so means are comparable; std and cost are unaffected. Zero rates on both sides.
  * Deltas. pfhedge's BlackScholes(option) reads the stock's `volatility`: sigma for BrownianStock,
    sqrt(max(v_t, 0)) per path and step for HestonStock. hedgesim: `delta: implied` with implied_vol =
    model vol (GBM; `model` or `instantaneous` are the same there), `delta: instantaneous` (Heston,
    sqrt(max(v_t, 0))). The Whalley-Wilmott gamma is Black-Scholes gamma at the same vol on both sides.
  * Whalley-Wilmott. pfhedge: w = (3/2 * c * Gamma^2 * S / a)^(1/3) (ww_width), next hedge =
    prev_hedge.clamp(delta - w, delta + w). hedgesim: w = (3 c Gamma^2 S e^{-r(T-t)} / (2a))^(1/3)
    (r = 0), trade to the band's edge when |h - target| > w. Same rule, same `a` (per unit of
    currency, so a depends on the price scale: a = 1e-3 at S = 65000 is a = 65 at S = 1).
  * Models. GBM: both exact in log. Heston: pfhedge's HestonStock(kappa, theta, sigma, rho) has
    `sigma` = volatility of variance (hedgesim's xi); both step v by Andersen's QE with psi_c = 1.5 and
    ln S by his scheme with gamma1 = gamma2 = 1/2; hedgesim adds the martingale correction K0*,
    pfhedge uses the plain K0 (a small drift error that vanishes with dt, invisible at hourly steps).
    pfhedge's HestonStock starts at v0 = theta unless told: the script passes (S0, v0) from the config.
  * Precision. pfhedge runs in float32 by default (--dtype), hedgesim's path precision is passed as
    the same (--precision); hedgesim's accounting is double either way, pfhedge's is in --dtype.
    Statistics of pfhedge's per-path results are reduced in float64.

Memory: pfhedge keeps whole (paths x steps) tensors; 1M x 721 float32 is 2.9 GB each and its
Black-Scholes hedger builds several. If a run does not fit, the script halves the number of paths per
chunk until it does (or use --chunk-paths) and says so in the report; the timing then covers all
chunks.

Exit status: 0 when every run succeeded and every agreement check passed (and, with --min-ratio, every
model's ratio reached it); 1 when an agreement or ratio check failed; 2 on an error.

Example (GPU machine; pfhedge installed with `pip install --no-deps --target /tmp/site pfhedge-*.whl`):
  PYTHONPATH=/tmp/site python3 bench/pfhedge_compare.py --hedgesim build/gpu/hedgesim \\
      --markdown results/gpu/pfhedge_compare.md
Small check on a CPU:
  python3 bench/pfhedge_compare.py --hedgesim build/ci/hedgesim --device cpu --paths 20000 --reps 1
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DAYS_PER_YEAR = 365.0


class BenchError(Exception):
    """A run that failed or a config the pfhedge side cannot express."""


# ---------------------------------------------------------------------------------------------------
# YAML: PyYAML when installed, else a reader for the block-style subset the bench configs use
# (mappings, block lists, flow maps/lists of scalars, comments). The GPU machine may lack PyYAML.


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _scalar(text: str):
    t = text.strip()
    if t == "" or t in ("~", "null", "Null", "NULL"):
        return None
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    if t in ("true", "True", "TRUE"):
        return True
    if t in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?\d+", t):
        return int(t)
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", t):
        return float(t)
    return t


def _value(text: str):
    t = text.strip()
    if t.startswith("{") and t.endswith("}"):
        out = {}
        for part in filter(None, (p.strip() for p in t[1:-1].split(","))):
            k, sep, v = part.partition(":")
            if not sep:
                raise BenchError(f"cannot read flow map entry {part!r}")
            out[k.strip()] = _scalar(v)
        return out
    if t.startswith("[") and t.endswith("]"):
        return [_scalar(p) for p in t[1:-1].split(",") if p.strip()]
    return _scalar(t)


_KEY_LINE = re.compile(r"^[A-Za-z_][\w.\-]*\s*:(\s|$)")


def _block(lines: list, i: int, indent: int):
    if lines[i][1].startswith("-"):
        out = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("-"):
            content = lines[i][1]
            rest = content[1:].lstrip()
            if not rest:
                if i + 1 < len(lines) and lines[i + 1][0] > indent:
                    value, i = _block(lines, i + 1, lines[i + 1][0])
                else:
                    value, i = None, i + 1
            elif _KEY_LINE.match(rest):
                column = indent + len(content) - len(rest)
                lines[i] = (column, rest)
                value, i = _block(lines, i, column)
            else:
                value, i = _value(rest), i + 1
            out.append(value)
        return out, i
    out = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("-"):
        key, sep, rest = lines[i][1].partition(":")
        if not sep:
            raise BenchError(f"cannot read YAML line {lines[i][1]!r}")
        key = key.strip()
        i += 1
        if rest.strip():
            out[key] = _value(rest)
        elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and lines[i][1].startswith("-"))):
            out[key], i = _block(lines, i, lines[i][0])
        else:
            out[key] = None
    if i < len(lines) and lines[i][0] > indent:
        raise BenchError(f"unexpected indentation at YAML line {lines[i][1]!r}")
    return out, i


def parse_yaml_subset(text: str) -> dict:
    lines = []
    for raw in text.splitlines():
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise BenchError("tabs in YAML indentation")
        s = _strip_comment(raw)
        if s.strip():
            lines.append((len(s) - len(s.lstrip()), s.strip()))
    if not lines:
        return {}
    out, i = _block(lines, 0, lines[0][0])
    if i != len(lines):
        raise BenchError(f"cannot read YAML from line {lines[i][1]!r}")
    return out


def load_yaml(path: Path) -> dict:
    text = path.read_text()
    try:
        import yaml  # type: ignore
    except ImportError:
        return parse_yaml_subset(text)
    return yaml.safe_load(text)


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def emit_yaml(obj, indent: int = 0) -> list:
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                out.append(f"{pad}{k}:")
                out.extend(emit_yaml(v, indent + 2))
            elif v is not None:
                out.append(f"{pad}{k}: {_fmt(v)}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict):
                sub = emit_yaml(item, indent + 2)
                out.append(f"{pad}- {sub[0].lstrip()}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {_fmt(item)}")
    return out


# ---------------------------------------------------------------------------------------------------
# The problem, read from a hedgesim config; refuses what pfhedge cannot express the same way.


def _num(section: dict, key: str, default=None) -> float:
    v = section.get(key, default)
    if v is None:
        raise BenchError(f"missing key {key}")
    return float(v)


def read_problem(cfg: dict, model_name: str) -> dict:
    sim = cfg.get("simulation") or {}
    model = cfg.get("model") or {}
    book = cfg.get("book") or []
    hedge = cfg.get("hedge") or {}
    costs = cfg.get("costs") or {}
    policies = cfg.get("policies") or []
    output = cfg.get("output") or {}

    mtype = model.get("type")
    if mtype != model_name:
        raise BenchError(f"model.type is {mtype!r}, expected {model_name!r}")
    for key in ("rate", "dividend", "drift"):
        if float(model.get(key, 0.0) or 0.0) != 0.0:
            raise BenchError(f"model.{key} must be 0: pfhedge's stocks here have no rates or drift")
    if model.get("scheme", "qe") != "qe":
        raise BenchError("model.scheme must be qe (pfhedge steps Heston by Andersen's QE)")
    if sim.get("horizon_days") not in (None, 0, 0.0):
        raise BenchError("simulation.horizon_days must be left out (the horizon is the option's expiry)")
    if len(book) != 1:
        raise BenchError("the book must hold exactly one option")
    opt = book[0]
    if opt.get("settlement", "linear") != "linear":
        raise BenchError("the option must be linear (USD-settled), as pfhedge's")
    if float(opt.get("quantity", 1.0)) != -1.0:
        raise BenchError("book quantity must be -1: pfhedge's pl() is the P&L of one option sold")
    if opt.get("type") not in ("call", "put"):
        raise BenchError("book option type must be call or put")
    if hedge.get("instrument", "perpetual") != "spot":
        raise BenchError("hedge.instrument must be spot (pfhedge trades the underlier, no funding)")
    if hedge.get("funding"):
        raise BenchError("hedge.funding is not expressible in pfhedge")
    delta = hedge.get("delta", "implied")
    if mtype == "gbm":
        if delta == "implied" and float(hedge.get("implied_vol", 0.0)) != float(model["vol"]):
            raise BenchError("hedge.implied_vol must equal model.vol: pfhedge's BlackScholes reads the stock's sigma")
    elif mtype == "heston":
        if delta != "instantaneous":
            raise BenchError("Heston needs hedge.delta: instantaneous (pfhedge's BlackScholes reads sqrt(v_t))")
    else:
        raise BenchError(f"model {mtype!r}: only gbm and heston are compared")
    for key in ("fixed_per_trade", "failure_probability"):
        if float(costs.get(key, 0.0) or 0.0) != 0.0:
            raise BenchError(f"costs.{key} must be 0 (pfhedge has proportional cost only)")
    for key in ("gas", "slippage"):
        if costs.get(key):
            raise BenchError(f"costs.{key} is not expressible in pfhedge")
    fee = float(costs.get("fee_bps", 0.0)) * 1e-4
    if output.get("file") or output.get("per_path"):
        raise BenchError("output.file / output.per_path must be unset: the benchmark times the summary only")

    pols = []
    for p in policies:
        ptype = p.get("type")
        if p.get("leland"):
            raise BenchError(f"policy {p.get('name')}: leland is not expressible in pfhedge")
        if ptype == "every_step":
            pols.append({"name": p["name"], "type": ptype})
        elif ptype == "whalley_wilmott":
            if p.get("rebalance_to", "edge") not in ("edge", 1, 1.0):
                raise BenchError(f"policy {p['name']}: pfhedge's WhalleyWilmott trades to the band edge")
            pols.append({"name": p["name"], "type": ptype, "a": float(p["risk_aversion"])})
        elif ptype == "none":
            pols.append({"name": p["name"], "type": ptype})
        else:
            raise BenchError(f"policy type {ptype!r} has no pfhedge counterpart here")
    if not pols:
        raise BenchError("no policies")

    spd = float(sim.get("steps_per_day", 24.0))
    expiry_days = float(opt["expiry_days"])
    prob = {
        "model": mtype,
        "spot": _num(model, "spot"),
        "strike": float(opt["strike"]),
        "call": opt["type"] == "call",
        "expiry_days": expiry_days,
        "steps_per_day": spd,
        "steps": int(round(expiry_days * spd)),
        "fee": fee,
        "precision": sim.get("precision", "float32"),
        "seed": int(sim.get("seed", 0) or 0),
        "policies": pols,
    }
    if mtype == "gbm":
        prob["vol"] = _num(model, "vol")
    else:
        prob.update(v0=_num(model, "v0"), kappa=_num(model, "kappa"), theta=_num(model, "theta"),
                    xi=_num(model, "xi"), rho=_num(model, "rho"))
    return prob


# ---------------------------------------------------------------------------------------------------
# pfhedge side


def _sync(torch, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _moments(torch, x) -> dict:
    x = x.double()
    n = x.numel()
    mean = x.mean()
    c = x - mean
    m2 = (c * c).mean()
    m4 = (c * c * c * c).mean()
    var = m2 * n / (n - 1)
    return {"mean": float(mean), "std": float(var.sqrt()), "excess_kurtosis": float(m4 / (m2 * m2) - 3.0)}


class PfhedgeRun:
    """pfhedge objects for one problem; run() simulates and hedges n paths (in chunks)."""

    def __init__(self, prob: dict, device: str, dtype_name: str):
        import torch
        from pfhedge.instruments import BrownianStock, EuropeanOption, HestonStock
        from pfhedge.nn import BlackScholes, Hedger, Naked, WhalleyWilmott

        self.torch = torch
        self.prob = prob
        self.device = device
        self.dtype = {"float32": torch.float32, "float64": torch.float64}[dtype_name]
        self.dt = 1.0 / (DAYS_PER_YEAR * prob["steps_per_day"])
        steps = prob["steps"]
        if prob["model"] == "gbm":
            self.stock = BrownianStock(sigma=prob["vol"], mu=0.0, cost=prob["fee"], dt=self.dt)
            self.init_state = (prob["spot"],)
        else:
            self.stock = HestonStock(kappa=prob["kappa"], theta=prob["theta"], sigma=prob["xi"], rho=prob["rho"],
                                     cost=prob["fee"], dt=self.dt)
            self.init_state = (prob["spot"], prob["v0"])
        self.stock.to(dtype=self.dtype, device=torch.device(device))
        self.option = EuropeanOption(self.stock, call=prob["call"], strike=prob["strike"], maturity=steps * self.dt)
        self.hedgers = []
        for p in prob["policies"]:
            if p["type"] == "every_step":
                model = BlackScholes(self.option)
                hedger = Hedger(model, model.inputs())
            elif p["type"] == "whalley_wilmott":
                model = WhalleyWilmott(self.option, a=p["a"])
                hedger = Hedger(model, model.inputs())
            else:
                hedger = Hedger(Naked(), ["empty"])
            self.hedgers.append(hedger.to(device=torch.device(device), dtype=self.dtype))

    def _chunk(self, n: int, timings: dict, results: list) -> None:
        import pfhedge.nn.functional as F

        torch, dev, steps, c = self.torch, self.device, self.prob["steps"], self.prob["fee"]
        t0 = time.perf_counter()
        # ceil(time_horizon/dt + 1) = steps + 1 prices for a horizon half a step short of steps*dt.
        self.stock.simulate(n_paths=n, time_horizon=(steps - 0.5) * self.dt, init_state=self.init_state)
        _sync(torch, dev)
        timings["simulate"] += time.perf_counter() - t0
        if tuple(self.stock.spot.shape) != (n, steps + 1):
            raise BenchError(f"pfhedge simulated {tuple(self.stock.spot.shape)} prices, expected {(n, steps + 1)}")
        spot = self.stock.spot.unsqueeze(1)  # (N, H=1, T)
        for k, hedger in enumerate(self.hedgers):
            t0 = time.perf_counter()
            unit = hedger.compute_hedge(self.option)  # (N, 1, T): Hedger.compute_pl's own steps
            pnl = F.pl(spot=spot, unit=unit, cost=[c], payoff=self.option.payoff())
            # pl()'s cost terms, which it subtracts but does not return.
            cost = c * ((spot[..., 1:] * unit.diff(dim=-1).abs()).sum(dim=(-2, -1))
                        + (spot[..., 0] * unit[..., 0].abs()).sum(dim=-1))
            _sync(torch, dev)
            timings[k] += time.perf_counter() - t0
            results[k][0].append(pnl)
            results[k][1].append(cost)

    def run(self, n_paths: int, chunk: int, seed: int) -> dict:
        torch = self.torch
        torch.manual_seed(seed)
        timings = {"simulate": 0.0, "reduce": 0.0}
        timings.update({k: 0.0 for k in range(len(self.hedgers))})
        results = [([], []) for _ in self.hedgers]
        _sync(torch, self.device)
        with torch.no_grad():
            done = 0
            while done < n_paths:
                n = min(chunk, n_paths - done)
                self._chunk(n, timings, results)
                done += n
            self.stock._buffers.clear()  # free the last chunk's paths before the reduction
            t0 = time.perf_counter()
            stats = []
            for pnl_parts, cost_parts in results:
                pnl, cost = torch.cat(pnl_parts), torch.cat(cost_parts)
                stats.append({"pnl": _moments(torch, pnl), "cost": _moments(torch, cost)})
            _sync(torch, self.device)
            timings["reduce"] += time.perf_counter() - t0
        return {"timings": timings, "stats": stats, "chunks": math.ceil(n_paths / chunk)}


def _is_oom(torch, err: Exception) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(err, oom)) or "out of memory" in str(err).lower()


def run_pfhedge(prob: dict, args) -> dict:
    import torch

    runner = PfhedgeRun(prob, args.device, args.dtype)
    chunk = args.chunk_paths or args.paths
    # Warm-up at full size: kernels loaded, the caching allocator sized; also finds a chunk that fits.
    while True:
        oom = False
        try:
            log(f"  pfhedge warm-up: {args.paths} paths in chunks of {chunk}")
            runner.run(args.paths, chunk, prob["seed"] + 1000)
        except Exception as err:  # noqa: BLE001 - torch raises OOM as RuntimeError subclasses
            if not _is_oom(torch, err) or chunk <= 1024:
                raise
            oom = True
        if not oom:
            break
        # Outside the except block, so the failed run's frames (and tensors) are gone.
        runner.stock._buffers.clear()
        if args.device.startswith("cuda"):
            torch.cuda.empty_cache()
        chunk = (chunk + 1) // 2
        log(f"  out of memory: retrying with {chunk} paths per chunk")
    reps = []
    for r in range(args.reps):
        if args.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        res = runner.run(args.paths, chunk, prob["seed"] + r)
        t = res["timings"]
        total = t["simulate"] + t["reduce"] + sum(t[k] for k in range(len(prob["policies"])))
        res["total"] = total
        if args.device.startswith("cuda"):
            res["peak_gb"] = torch.cuda.max_memory_allocated() / 2**30
        log(f"  pfhedge rep {r + 1}/{args.reps}: {total:.3f} s (simulate {t['simulate']:.3f} s, "
            + ", ".join(f"{p['name']} {t[k]:.3f} s" for k, p in enumerate(prob["policies"])) + ")")
        reps.append(res)
    return {"reps": reps, "chunk": chunk, "chunks": reps[-1]["chunks"]}


# ---------------------------------------------------------------------------------------------------
# hedgesim side


def hedgesim_cmd(args, config: Path, paths: int, prob: dict) -> list:
    cmd = [str(args.hedgesim), "run", str(config), "--backend", args.hedgesim_backend, "--paths", str(paths),
           "--precision", args.dtype, "--json"]
    if args.devices:
        cmd += ["--devices", args.devices]
    return cmd


def run_hedgesim_once(cmd: list) -> tuple:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        raise BenchError(f"{' '.join(cmd)}: no JSON on stdout ({err}):\n{proc.stdout[-2000:]}") from err
    return wall, out


def run_hedgesim(config: Path, prob: dict, args, tmp: Path) -> dict:
    log(f"  hedgesim warm-up: {' '.join(hedgesim_cmd(args, config, min(args.paths, 10000), prob))}")
    run_hedgesim_once(hedgesim_cmd(args, config, min(args.paths, 10000), prob))
    full = []
    for r in range(args.reps):
        wall, out = run_hedgesim_once(hedgesim_cmd(args, config, args.paths, prob))
        log(f"  hedgesim rep {r + 1}/{args.reps}: process {wall:.3f} s, elapsed_s {out.get('elapsed_s', 0):.3f}, "
            f"kernel_s {out.get('kernel_s', 0):.3f}")
        full.append((wall, out))
    single = {}
    if args.per_policy and len(prob["policies"]) > 1:
        cfg = load_yaml(config)
        for p in cfg["policies"]:
            one = dict(cfg)
            one["policies"] = [p]
            path = tmp / f"{config.stem}_{p['name']}.yaml"
            path.write_text("\n".join(emit_yaml(one)) + "\n")
            walls = []
            for _ in range(args.reps):
                wall, out = run_hedgesim_once(hedgesim_cmd(args, path, args.paths, prob))
                walls.append((wall, out))
            single[p["name"]] = walls
            log(f"  hedgesim {p['name']} alone: process {statistics.median(w for w, _ in walls):.3f} s")
    return {"full": full, "single": single, "cmd": hedgesim_cmd(args, config, args.paths, prob)}


# ---------------------------------------------------------------------------------------------------
# Comparison and report


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def agreement(prob: dict, pf_stats: list, hs: dict, n_hs: int, n_pf: int, sigmas: float) -> list:
    premium = -(-1.0) * float(hs["premiums"][0])  # quantity -1: the premium is received
    by_name = {p["name"]: p for p in hs["policies"]}
    rows = []
    for k, p in enumerate(prob["policies"]):
        h = by_name[p["name"]]
        s = pf_stats[k]
        pf_mean = s["pnl"]["mean"] + premium
        checks = [
            ("P&L mean", h["pnl_mean"], pf_mean, h["pnl_std"] / math.sqrt(n_hs), s["pnl"]["std"] / math.sqrt(n_pf)),
            ("P&L std", h["pnl_std"], s["pnl"]["std"],
             h["pnl_std"] * math.sqrt(max(h["pnl_excess_kurtosis"] + 2.0, 0.0) / (4.0 * n_hs)),
             s["pnl"]["std"] * math.sqrt(max(s["pnl"]["excess_kurtosis"] + 2.0, 0.0) / (4.0 * n_pf))),
            ("mean cost", h["cost_mean"], s["cost"]["mean"], h["cost_std"] / math.sqrt(n_hs),
             s["cost"]["std"] / math.sqrt(n_pf)),
        ]
        for what, computed, expected, se_h, se_p in checks:
            se = math.sqrt(se_h**2 + se_p**2)
            err = computed - expected
            tol = sigmas * se
            rows.append({
                "policy": p["name"], "quantity": what, "hedgesim": computed, "pfhedge": expected, "error": err,
                "rel": err / abs(expected) if expected else float("nan"), "se": se, "tolerance": tol,
                "ok": abs(err) <= tol,
            })
    return rows


def machine_details(args) -> dict:
    import torch

    d = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import pfhedge

        d["pfhedge"] = getattr(pfhedge, "__version__", "?")
    except ImportError:
        d["pfhedge"] = "?"
    try:
        import numpy

        d["numpy"] = numpy.__version__
    except ImportError:
        d["numpy"] = "not installed"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                d["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if args.device.startswith("cuda"):
        props = torch.cuda.get_device_properties(torch.device(args.device))
        d["gpu"] = props.name
        d["gpu_memory_gb"] = round(props.total_memory / 2**30, 1)
    return d


def _fs(x: float) -> str:
    return f"{x:.3f}" if x >= 0.1 else f"{x:.4f}"


def _fg(x: float) -> str:
    return f"{x:.6g}"


def report(args, machine: dict, results: dict) -> tuple:
    lines = []
    first_hs = next(iter(results.values()))["hedgesim"]["full"][-1][1]
    lines.append("## hedgesim vs pfhedge (bench/pfhedge_compare.py)")
    lines.append("")
    lines.append(f"- date: {machine['date_utc']}; hedgesim {first_hs.get('hedgesim_version', '?')} commit "
                 f"`{first_hs.get('git_commit', '?')}`, backend {first_hs.get('backend', '?')} on "
                 f"{first_hs.get('device', '?')}")
    gpu = f", GPU {machine['gpu']} ({machine['gpu_memory_gb']} GiB)" if "gpu" in machine else ""
    lines.append(f"- pfhedge {machine['pfhedge']} on torch {machine['torch']} (CUDA {machine['torch_cuda']}), "
                 f"device `{args.device}`, dtype {args.dtype}; python {machine['python']}, numpy {machine['numpy']}")
    lines.append(f"- machine: {machine['cpu']} ({machine['cpu_count']} CPUs){gpu}")
    for model, r in results.items():
        pr = r["problem"]
        lines.append(f"- {model}: {args.paths:,} paths x {pr['steps']} steps of {24 / pr['steps_per_day']:g} h "
                     f"(24/7, {pr['expiry_days']:g} days), one short {'call' if pr['call'] else 'put'} at "
                     f"K/S0 = {pr['strike'] / pr['spot']:g}, spot hedge, cost {pr['fee'] * 1e4:g} bp; policies "
                     + ", ".join(p["name"] + (f" (a = {p['a']:g})" if "a" in p else "") for p in pr["policies"]))
    lines.append(f"- timing: median of {args.reps} timed run(s) after one untimed warm-up, each side")
    chunk_notes = [f"{m}: {r['pfhedge']['chunks']} chunks of {r['pfhedge']['chunk']:,} paths"
                   for m, r in results.items() if r["pfhedge"]["chunks"] > 1]
    lines.append("- pfhedge memory: " + ("; ".join(chunk_notes) + " (did not fit at once)" if chunk_notes
                                         else "all paths at once (no chunking)")
                 + "".join(f"; {m} peak {r['pfhedge']['reps'][-1]['peak_gb']:.1f} GiB"
                           for m, r in results.items() if "peak_gb" in r["pfhedge"]["reps"][-1]))
    lines.append("- pfhedge s: wall time of simulate + compute_hedge + pl + cost + mean/std (synchronised); "
                 "a policy's row includes the shared simulation. hedgesim s: the whole `hedgesim run` "
                 "process (start, CUDA context, parsing, summary with quantiles) for that policy alone, "
                 "the `both` row for the config's policies together; hedgesim's own `elapsed_s` and "
                 "`kernel_s` beside")
    lines.append("")
    lines.append("| model | policy | pfhedge s | hedgesim process s | ratio | hedgesim elapsed_s | ratio (elapsed) "
                 "| kernel_s |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    ratios = {}
    for model, r in results.items():
        pf, hs = r["pfhedge"], r["hedgesim"]
        pols = r["problem"]["policies"]
        sim = statistics.median(x["timings"]["simulate"] for x in pf["reps"])
        for k, p in enumerate(pols):
            pf_s = statistics.median(x["timings"]["simulate"] + x["timings"][k] for x in pf["reps"])
            if p["name"] in hs["single"]:
                runs = hs["single"][p["name"]]
                hs_s = statistics.median(w for w, _ in runs)
                el = statistics.median(o.get("elapsed_s", float("nan")) for _, o in runs)
                ks = statistics.median(o.get("kernel_s", float("nan")) for _, o in runs)
                lines.append(f"| {model} | {p['name']} | {_fs(pf_s)} | {_fs(hs_s)} | {pf_s / hs_s:.1f}x | "
                             f"{_fs(el)} | {pf_s / el:.1f}x | {_fs(ks)} |")
            else:
                lines.append(f"| {model} | {p['name']} | {_fs(pf_s)} | - | - | - | - | - |")
        pf_total = statistics.median(x["total"] for x in pf["reps"])
        hs_total = statistics.median(w for w, _ in hs["full"])
        el = statistics.median(o.get("elapsed_s", float("nan")) for _, o in hs["full"])
        ks = statistics.median(o.get("kernel_s", float("nan")) for _, o in hs["full"])
        ratios[model] = pf_total / hs_total
        lines.append(f"| {model} | **both** (pfhedge: simulate {_fs(sim)} s once) | **{_fs(pf_total)}** | "
                     f"**{_fs(hs_total)}** | **{ratios[model]:.1f}x** | {_fs(el)} | {pf_total / el:.1f}x | {_fs(ks)} |")
    lines.append("")
    goal = 30.0
    lines.append("Goal (issue 10): hedgesim >= 30x faster than pfhedge on both models, whole process: "
                 + ", ".join(f"{m} {x:.1f}x {'met' if x >= goal else 'NOT met'}" for m, x in ratios.items()))
    lines.append("")
    lines.append(f"Agreement (different random numbers): computed = hedgesim, expected = pfhedge (its P&L plus "
                 f"hedgesim's premium); tolerance = {args.sigmas:g} combined standard errors "
                 f"(SE(mean) = std/sqrt(N), SE(std) = std*sqrt((excess kurtosis + 2)/(4N))).")
    lines.append("")
    lines.append("| model | policy | quantity | hedgesim (computed) | pfhedge (expected) | error | rel. error "
                 "| error / SE | tolerance | |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    all_ok = True
    for model, r in results.items():
        for row in r["agreement"]:
            all_ok &= row["ok"]
            lines.append(f"| {model} | {row['policy']} | {row['quantity']} | {_fg(row['hedgesim'])} | "
                         f"{_fg(row['pfhedge'])} | {row['error']:+.4g} | {100 * row['rel']:+.3f}% | {row['error'] / row['se']:+.2f} | "
                         f"{row['tolerance']:.4g} | {'ok' if row['ok'] else 'FAIL'} |")
    lines.append("")
    lines.append("hedgesim commands: " + "; ".join(f"`{' '.join(r['hedgesim']['cmd'])}`" for r in results.values()))
    lines.append("")
    return "\n".join(lines), all_ok, ratios


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hedgesim", type=Path, help="hedgesim binary (default: build/gpu, build/release, build/ci)")
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=720,
                    help="steps to expiry; other than the config's, a copy with steps_per_day = steps/expiry_days")
    ap.add_argument("--models", default="gbm,heston")
    ap.add_argument("--device", default="cuda", help="torch device for pfhedge: cuda, cuda:N or cpu")
    ap.add_argument("--hedgesim-backend", choices=["cuda", "cpu", "auto"],
                    help="hedgesim --backend (default: cuda with --device cuda, else cpu)")
    ap.add_argument("--devices", help="hedgesim --devices (default: its own, device 0)")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                    help="pfhedge dtype, and hedgesim --precision")
    ap.add_argument("--reps", type=int, default=3, help="timed runs per side (median reported)")
    ap.add_argument("--chunk-paths", type=int, default=0, help="pfhedge paths per chunk (0: all, halved on OOM)")
    ap.add_argument("--no-per-policy", dest="per_policy", action="store_false",
                    help="skip the single-policy hedgesim runs")
    ap.add_argument("--sigmas", type=float, default=4.0, help="agreement tolerance in combined standard errors")
    ap.add_argument("--min-ratio", type=float, default=0.0,
                    help="fail (exit 1) when a model's whole-process ratio is below this (0: report only)")
    ap.add_argument("--config-dir", type=Path, default=REPO / "configs" / "bench")
    ap.add_argument("--markdown", type=Path, help="write the report here (it is printed too)")
    ap.add_argument("--json-out", type=Path, help="write raw timings and statistics here")
    args = ap.parse_args(argv)

    if args.hedgesim_backend is None:
        args.hedgesim_backend = "cuda" if args.device.startswith("cuda") else "cpu"
    if args.hedgesim is None:
        for cand in ("build/gpu/hedgesim", "build/release/hedgesim", "build/ci/hedgesim"):
            if (REPO / cand).is_file():
                args.hedgesim = REPO / cand
                break
        else:
            log("error: no hedgesim binary found; pass --hedgesim PATH")
            return 2
    if not os.access(args.hedgesim, os.X_OK):
        log(f"error: {args.hedgesim} is not an executable")
        return 2
    if args.reps < 1 or args.paths < 2:
        log("error: --reps must be >= 1 and --paths >= 2")
        return 2

    try:
        import torch

        if args.device.startswith("cuda") and not torch.cuda.is_available():
            raise BenchError("--device cuda but torch sees no CUDA device")
        import pfhedge  # noqa: F401
    except (ImportError, BenchError) as err:
        log(f"error: {err} (pfhedge needs torch and tqdm; PYTHONPATH to a pip --target folder works)")
        return 2

    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="pfhedge_compare_") as tmpdir:
            tmp = Path(tmpdir)
            for model in [m.strip() for m in args.models.split(",") if m.strip()]:
                config = args.config_dir / f"pfhedge_{model}.yaml"
                if not config.is_file():
                    raise BenchError(f"no config {config}")
                cfg = load_yaml(config)
                prob = read_problem(cfg, model)
                if args.steps != prob["steps"]:
                    spd = args.steps / prob["expiry_days"]
                    cfg["simulation"]["steps_per_day"] = spd
                    config = tmp / config.name
                    config.write_text("\n".join(emit_yaml(cfg)) + "\n")
                    prob = read_problem(cfg, model)
                    prob["steps"] = args.steps
                log(f"{model}: {config} ({args.paths} paths x {prob['steps']} steps, policies "
                    + ", ".join(p["name"] for p in prob["policies"]) + ")")
                pf = run_pfhedge(prob, args)
                if args.device.startswith("cuda"):
                    torch.cuda.empty_cache()  # hand the memory back before hedgesim starts
                hs = run_hedgesim(config, prob, args, tmp)
                hs_json = hs["full"][-1][1]
                if int(hs_json.get("steps", prob["steps"])) != prob["steps"]:
                    raise BenchError(f"hedgesim ran {hs_json.get('steps')} steps, pfhedge {prob['steps']}")
                agree = agreement(prob, pf["reps"][-1]["stats"], hs_json, int(hs_json["paths"]), args.paths,
                                  args.sigmas)
                results[model] = {"problem": prob, "pfhedge": pf, "hedgesim": hs, "agreement": agree}
        machine = machine_details(args)
        text, all_ok, ratios = report(args, machine, results)
    except BenchError as err:
        log(f"error: {err}")
        return 2
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        raw = {"machine": machine, "args": {k: str(v) for k, v in vars(args).items()}, "results": results}
        args.json_out.write_text(json.dumps(raw, indent=1, default=str))
    failed_ratio = [m for m, x in ratios.items() if x < args.min_ratio]
    if not all_ok:
        log("agreement: FAILED (see the table)")
    if failed_ratio:
        log(f"ratio below --min-ratio {args.min_ratio:g}: {', '.join(failed_ratio)}")
    return 0 if all_ok and not failed_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
