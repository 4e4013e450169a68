"""Analysis of run folders (never imports torch): scaling-law families, the sigmoid fit, the bootstrap, the
verdict and the plots.

- `families`: log-linear, sigmoid and power-law fits, predictions and the backtest
- `sigmoid`: the saturating-sigmoid fit (variable projection over a grid)
- `bootstrap`: intervals from evaluation noise and from resampling seeds
- `verdict`: one plain sentence on the log-linear claim per benchmark
- `fit`: `rlvr fit` (fit.json); `plots`: `rlvr plot` (PNGs)
- `study`, `study_plots`: `rlvr study` (conditions compared: per-level take-off compute, log-linear span)
"""
