"""Golden tests: the default Tongdaxin/同花顺 convention against plain-Python loops of the published formulas.

References (Tongdaxin formula language): EMA(X,N) = (2·X + (N−1)·Y')/(N+1) starting at the first X;
SMA(X,N,M) = (M·X + (N−M)·Y')/N starting at the first X; MACD: DIF = EMA(C,12) − EMA(C,26), DEA = EMA(DIF,9),
MACD = 2·(DIF − DEA); RSI = SMA(MAX(C−LC,0),N,1)/SMA(ABS(C−LC),N,1)·100; KDJ: RSV = (C−LLV(L,9))/(HHV(H,9)−LLV(L,9))·100,
K = SMA(RSV,3,1), D = SMA(K,3,1) with K and D seeded at 50 (同花顺); ATR = MA(TR,N); DMI: PDI = SUM(DMP,14)·100/SUM(TR,14),
ADX = MA(|MDI−PDI|/(MDI+PDI)·100, 6); WR = 100·(HHV(H,N)−C)/(HHV(H,N)−LLV(L,N)).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from thermoquant import features as tqf
from thermoquant.features.engine import prepare

NAN = float("nan")


@pytest.fixture(scope="module")
def tdx(bars_000025: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, list[float]]]:
    res = tqf.compute(bars_000025)  # default convention
    df = prepare(bars_000025)
    return res, {c: df.get_column(c).to_list() for c in ("open", "high", "low", "close", "volume", "amount")}


def ema_loop(x: list[float], n: int) -> list[float]:
    out, y = [], NAN
    for v in x:
        y = v if math.isnan(y) else (2 * v + (n - 1) * y) / (n + 1)
        out.append(y)
    return out


def sma_loop(x: list[float], n: int, m: int, seed: float = NAN) -> list[float]:
    out, y = [], seed
    for v in x:
        if math.isnan(v):
            out.append(NAN)
            continue
        y = v if math.isnan(y) else (m * v + (n - m) * y) / n
        out.append(y)
    return out


def ma_loop(x: list[float], n: int) -> list[float]:
    return [
        NAN
        if i < n - 1 or any(math.isnan(v) for v in x[i - n + 1 : i + 1])
        else sum(x[i - n + 1 : i + 1]) / n
        for i in range(len(x))
    ]


def check(ours: pl.Series, ref: list[float], rtol: float = 1e-9, atol: float = 1e-9) -> None:
    r = np.array(ref, dtype=float)
    o = ours.to_numpy()
    ok = ~np.isnan(r)
    assert ok.sum() > 100
    assert not np.isnan(o[ok]).any()
    np.testing.assert_allclose(o[ok], r[ok], rtol=rtol, atol=atol)


def test_ema_macd(tdx) -> None:
    res, a = tdx
    c = a["close"]
    for n in (5, 12, 26, 60):
        check(res[f"ema_{n}"], ema_loop(c, n))
    dif = [f - s for f, s in zip(ema_loop(c, 12), ema_loop(c, 26), strict=True)]
    dea = ema_loop(dif, 9)
    check(res["macd_dif"], dif)
    check(res["macd_dea"], dea)
    check(res["macd_bar"], [2 * (x - y) for x, y in zip(dif, dea, strict=True)])
    golden = [NAN] + [1.0 if dif[i - 1] <= dea[i - 1] and dif[i] > dea[i] else 0.0 for i in range(1, len(c))]
    check(res["macd_golden"], golden)
    assert res["macd_golden"].sum() > 5


def test_rsi(tdx) -> None:
    res, a = tdx
    c = a["close"]
    d = [NAN] + [c[i] - c[i - 1] for i in range(1, len(c))]
    for n in (6, 14, 24):
        up = sma_loop([max(v, 0.0) if not math.isnan(v) else NAN for v in d], n, 1)
        ab = sma_loop([abs(v) for v in d], n, 1)
        check(res[f"rsi_{n}"], [u / b * 100 if b else 0.0 for u, b in zip(up, ab, strict=True)])


def test_kdj(tdx) -> None:
    res, a = tdx
    h, lo, c = a["high"], a["low"], a["close"]
    rsv = []
    for i in range(len(c)):
        if i < 8:
            rsv.append(NAN)
            continue
        hh, ll = max(h[i - 8 : i + 1]), min(lo[i - 8 : i + 1])
        rsv.append((c[i] - ll) / (hh - ll) * 100 if hh > ll else 0.0)
    k = sma_loop(rsv, 3, 1, seed=50.0)
    d = sma_loop(k, 3, 1, seed=50.0)
    check(res["kdj_k"], k)
    check(res["kdj_d"], d)
    check(res["kdj_j"], [3 * x - 2 * y for x, y in zip(k, d, strict=True)])
    assert res["kdj_k"][8] == pytest.approx((rsv[8] + 2 * 50.0) / 3)


def test_atr_dmi_wr(tdx) -> None:
    res, a = tdx
    h, lo, c = a["high"], a["low"], a["close"]
    tr = [NAN] + [max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1])) for i in range(1, len(c))]
    check(res["atr_14"], ma_loop(tr, 14))
    check(res["atr_20"], ma_loop(tr, 20))
    check(res["atr_14_pct"], [x / y * 100 for x, y in zip(ma_loop(tr, 14), c, strict=True)])
    dmp, dmm = [NAN], [NAN]
    for i in range(1, len(c)):
        hd, ld = h[i] - h[i - 1], lo[i - 1] - lo[i]
        dmp.append(hd if hd > 0 and hd > ld else 0.0)
        dmm.append(ld if ld > 0 and ld > hd else 0.0)
    s_tr = [x * 14 for x in ma_loop(tr, 14)]
    pdi = [p * 14 * 100 / t for p, t in zip(ma_loop(dmp, 14), s_tr, strict=True)]
    mdi = [m * 14 * 100 / t for m, t in zip(ma_loop(dmm, 14), s_tr, strict=True)]
    dx = [abs(m - p) / (m + p) * 100 if m + p else 0.0 for p, m in zip(pdi, mdi, strict=True)]
    check(res["plus_di"], pdi)
    check(res["minus_di"], mdi)
    check(res["adx"], ma_loop(dx, 6))
    for n in (14, 20):
        wr = [NAN] * (n - 1)
        for i in range(n - 1, len(c)):
            hh, ll = max(h[i - n + 1 : i + 1]), min(lo[i - n + 1 : i + 1])
            wr.append(100 * (hh - c[i]) / (hh - ll) if hh > ll else 0.0)
        check(res[f"wr_{n}"], wr)


def test_price_volume_rows(tdx) -> None:
    """Dimensions 1–2 by their seed formulas, row by row."""
    res, a = tdx
    o, h, lo, c, v, amt = (a[k] for k in ("open", "high", "low", "close", "volume", "amount"))
    pc = [NAN, *c[:-1]]
    check(res["pct_chg"], [(x - p) / p * 100 for x, p in zip(c, pc, strict=True)])
    check(res["amplitude"], [(hh - ll) / p * 100 for hh, ll, p in zip(h, lo, pc, strict=True)])
    check(res["avg_price"], [m / q for m, q in zip(amt, v, strict=True)])
    check(res["upper_shadow"], [hh - max(oo, cc) for hh, oo, cc in zip(h, o, c, strict=True)])
    check(
        res["lower_shadow_ratio"],
        [
            (min(oo, cc) - ll) / (hh - ll) if hh > ll else 0.0
            for oo, cc, hh, ll in zip(o, c, h, lo, strict=True)
        ],
    )
    check(res["candle_state"], [float(np.sign(cc - oo)) for oo, cc in zip(o, c, strict=True)])
    check(res["volume_ratio"], [x / m for x, m in zip(v, ma_loop(v, 5), strict=True)])
    check(res["amount_ma_20"], ma_loop(amt, 20), rtol=1e-9)
    vrs = []
    for i in range(len(v)):
        w = v[i - 19 : i + 1] if i >= 19 else []
        vrs.append((v[i] - min(w)) / (max(w) - min(w)) if w and max(w) > min(w) else NAN)
    check(res["volume_rel_strength_20"], vrs)
    check(res["volume_energy"], [abs(x / p - 1) * q for x, p, q in zip(c, pc, v, strict=True)], rtol=1e-9)
