"""The verdict: one plain sentence on the log-linear claim for one benchmark's fits (see `rlvr.analysis.fit`).

    verdict(entry, target=0.9)   # "Log-linear holds over the measured 4.0 decades: +0.100 pass@1 per 10x ..."

Decision, in order:
1. The slope's 95% interval covers 0: cannot be judged (no detectable trend: flat, or too noisy).
2. The sigmoid backtests best, better than log-linear by more than one standard error of evaluation noise, and
   bends inside the measured range (C_mid <= the largest compute): accuracy saturates, toward its ceiling A.
   (A centred S-curve has no net curvature in log C, so a quadratic test alone would miss it. The power law in
   error is concave too, but it tends to 1, so winning the backtest does not by itself mean saturation.)
3. Significantly positive curvature of a quadratic in log10 C: gains per decade grow; log-linear under-predicts.
4. Otherwise log-linear holds over the measured range (slope with its interval).
Each sentence ends with the compute extrapolated to reach the target accuracy, by the family that backtests best,
with its 95% interval, or says why there is none (already reached, ceiling below target).
Too few points or too little range never reach this function: `rlvr.analysis.fit` raises before fitting.
"""

from __future__ import annotations

__all__ = ["verdict"]

NAMES = {"loglinear": "log-linear", "sigmoid": "sigmoid", "powerlaw": "power-law"}


def _reach(entry: dict, target: float) -> str:
    reach = entry.get("extrapolation") or {}
    family = reach.get("family")
    if entry["points"]["max_pass@1"] >= target:
        return f" Pass@1 {target:g} is already reached within the measured range."
    if family not in NAMES or "compute" not in reach:
        return ""
    name = NAMES[family]
    if reach["compute"] is None:
        if family == "sigmoid":
            return f" The {name} fit (best backtest) never reaches pass@1 {target:g}: its ceiling is " \
                   f"{entry['sigmoid']['A']:.2f}."
        return f" The {name} fit (best backtest) never reaches pass@1 {target:g}."
    interval = (f" (95% interval {reach['ci95'][0]:.2g} to {reach['ci95'][1]:.2g})" if reach["ci95"] else
                f" (no interval: only {reach['reached_in_draws']} bootstrap fits reach it)")
    return f" The {name} fit (best backtest) reaches pass@1 {target:g} at {reach['compute']:.2g} FLOPs{interval}."


def verdict(entry: dict, target: float) -> str:
    """One sentence on whether accuracy is linear in log RL compute over the measured range (see module doc)."""
    ll = entry["loglinear"]
    ci = ll.get("ci95")
    decades = entry["points"]["decades"]
    slope = f"{ll['slope_per_decade']:+.3f} pass@1 per 10x compute"
    if ci is None:
        return "Cannot be judged: the bootstrap could not bound the log-linear slope (too few usable points)."
    slope_ci = f"95% CI {ci[0]:+.3f} to {ci[1]:+.3f}"
    if ci[0] <= 0 <= ci[1]:
        return (f"Cannot be judged: accuracy shows no significant trend with RL compute over {decades:.1f} decades "
                f"({slope}, {slope_ci}); flat, or too noisy for this many points.")
    curv = (entry.get("curvature") or {}).get("curvature_ci95")
    bt = entry["backtest"]
    margin = entry["points"]["noise_se"]  # a backtest win must beat one standard error of evaluation noise
    mae = {f: v.get("mae") for f, v in bt.items()}
    beats_line = (entry["best"] == "sigmoid" and mae.get("loglinear") is not None
                  and mae["sigmoid"] < mae["loglinear"] - margin)
    sig = entry.get("sigmoid", {})
    bends_inside = "C_mid" in sig and sig["C_mid"] <= entry["points"]["compute_range"][1]
    if beats_line and bends_inside:
        ceiling = f" toward a ceiling of {sig['A']:.2f}" + (
            f" (95% CI {sig['A_ci95'][0]:.2f} to {sig['A_ci95'][1]:.2f})" if sig.get("A_ci95") else "")
        return (f"Accuracy saturates{ceiling}: the sigmoid fit predicts the upper half of the "
                f"{decades:.1f} measured decades better than log-linear (backtest MAE {mae['sigmoid']:.3f} vs "
                f"{mae['loglinear']:.3f}), so log-linear does not hold over the whole range." + _reach(entry, target))
    if curv and curv[0] > 0:
        return (f"Log-linear does not hold: gains per 10x compute grow over the measured {decades:.1f} decades "
                f"(average {slope}), so a straight line in log compute under-predicts." + _reach(entry, target))
    return (f"Log-linear holds over the measured {decades:.1f} decades: {slope} ({slope_ci}, R^2 {ll['r2']:.2f})."
            + _reach(entry, target))
