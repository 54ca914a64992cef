#!/usr/bin/env python3
"""A vectorised numpy program of painsim's per-patient-day work, for bench/run.sh.

It simulates the default scenario's seven strategies over 426 days for N
patients, in blocks of patients, with numpy arrays over patients and days:
the AR(1) noise path of each patient (shared by the strategies), each
session's response (first / persisting / recovering probabilities), relief
(Beta) and duration (log-normal), the effect E(t) as the maximum over sessions
of ramp, plateau and halving decay, VAS(t) = clamp(B (1 - E(t)) + eps(t), 0, 10),
the recorded millimetres, the per-day sums and responder counts, and the
discounted QALYs; fixed-interval schedules, the response-guided one and the
on-relapse one (a day loop over the patients, as its rule needs).  Treatment
parameters are round values near painsim's defaults: the speed does not
depend on them.  Nothing is written to disk.

    python3 bench/numpy_model.py PATIENTS    prints wall seconds and M patient-days/s
"""
import sys
import time

import numpy as np

H = 426
BLOCK = 8192
PHI, NOISE_SD = 0.7, 0.6
INNOV = NOISE_SD * np.sqrt(1 - PHI * PHI)
U0, SLOPE, UMIN, UMAX = 0.9, -0.05, 0.3, 0.9
W = (1.0 / 365.25) / (1.035 ** (np.arange(H) / 365.25))  # discounted years per day

# treatment: p_first, p_persist, p_recover, relief (a, b), median days, sigma, onset, peak, half-life
TREAT = {
    "botox": (0.6, 0.9, 0.15, (4.0, 4.0), 100.0, 0.4, 3, 14, 30.0),
    "steroid": (0.45, 0.5, 0.25, (3.0, 5.0), 40.0, 0.4, 1, 7, 14.0),
    "lidocaine": (0.4, 0.05, 0.75, (2.0, 6.0), 7.0, 0.4, 0, 1, 3.0),
    "physio": (0.4, 0.0, 0.0, (3.0, 5.0), 90.0, 0.3, 14, 42, 60.0),
}
# (name, treatment, kind, interval or threshold, sessions)
STRATEGIES = [
    ("botox_q4m", "botox", "fixed", 120, 4),
    ("botox_responders", "botox", "responders", 120, 4),
    ("botox_relapse", "botox", "relapse", 0.5, 4),
    ("steroid_bupivacaine", "steroid", "fixed", 120, 4),
    ("lidocaine_tpi", "lidocaine", "fixed", 28, 15),
    ("physio", "physio", "fixed", 10**6, 1),
    ("standard_care", None, "none", 0, 0),
]
DAYS = np.arange(H, dtype=np.float64)


def session(rng, t, n, j, prev):
    p_first, p_persist, p_recover, (a, b), med, sig, onset, peak, half = t
    p = np.full(n, p_first) if j == 0 else np.where(prev, p_persist, p_recover)
    r = rng.random(n) < p
    beta = rng.beta(a, b, n)
    rho = np.where(r, 0.5 + 0.5 * beta, 0.5 * beta)
    dur = np.maximum(med * np.exp(sig * rng.standard_normal(n)), peak)
    return r, rho, dur


def effect_of(t, day, rho, dur, days):
    """rho x f(days - day) for patients (rows) with sessions on `day` (per row)."""
    onset, peak, half = t[6], t[7], t[8]
    tau = days[None, :] - day[:, None]
    ramp = np.clip((tau - onset) / max(peak - onset, 1), 0.0, 1.0)
    decay = np.exp2(-np.maximum(tau - dur[:, None], 0.0) / half)
    f = np.where(tau < 0, 0.0, ramp * decay)
    return rho[:, None] * f


def simulate_block(rng, n, sums):
    B = np.clip(rng.normal(7.0, 1.5, n), 0.0, 10.0)
    z = rng.standard_normal((n, H))
    eps = np.empty((n, H))
    e = NOISE_SD * z[:, 0]
    eps[:, 0] = e
    for d in range(1, H):
        e = PHI * e + INNOV * z[:, d]
        eps[:, d] = e
    for s, (name, tname, kind, every, n_sess) in enumerate(STRATEGIES):
        E = np.zeros((n, H))
        if kind in ("fixed", "responders"):
            t = TREAT[tname]
            prev = np.zeros(n, bool)
            go = np.ones(n, bool)
            for j in range(n_sess):
                day = j * every
                if day >= H:
                    break
                r, rho, dur = session(rng, t, n, j, prev)
                if kind == "responders" and j > 0:
                    rho = np.where(go, rho, 0.0)
                E = np.maximum(E, effect_of(t, np.full(n, float(day)), rho, dur, DAYS))
                if kind == "responders" and j == 0:
                    go = r
                prev = r
        elif kind == "relapse":
            t = TREAT[tname]
            r, rho, dur = session(rng, t, n, 0, np.zeros(n, bool))
            E = effect_of(t, np.zeros(n), rho, dur, DAYS)
            count = np.ones(n, int)
            last = np.zeros(n)
            prev = r
            for d in range(1, H):
                v = np.clip(B * (1.0 - E[:, d]) + eps[:, d], 0.0, 10.0)
                due = (v > every * B) & (count < n_sess) & (d - last >= 28)
                idx = np.nonzero(due)[0]
                if idx.size:
                    r2, rho2, dur2 = session(rng, t, idx.size, 1, prev[idx])
                    E[idx, d:] = np.maximum(E[idx, d:], effect_of(t, np.zeros(idx.size), rho2, dur2, DAYS[: H - d]))
                    count[idx] += 1
                    last[idx] = d
                    prev[idx] = r2
        V = np.clip(B[:, None] * (1.0 - E) + eps, 0.0, 10.0)
        mm = (V * 10.0 + 0.5).astype(np.uint8)
        sums[s, 0] += V.sum(axis=0)
        sums[s, 1] += (V * V).sum(axis=0)
        sums[s, 2] += (V <= 0.5 * B[:, None]).sum(axis=0)
        u = np.clip(U0 + SLOPE * V, UMIN, UMAX)
        sums[s, 3, 0] += (u @ W).sum()
        sums[s, 3, 1] += mm[:, -1].sum()


def main():
    patients = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    rng = np.random.default_rng(20261123)
    sums = np.zeros((len(STRATEGIES), 4, H))
    t0 = time.perf_counter()
    done = 0
    while done < patients:
        n = min(BLOCK, patients - done)
        simulate_block(rng, n, sums)
        done += n
    wall = time.perf_counter() - t0
    pdays = patients * len(STRATEGIES) * H
    print(f"numpy: {patients} patients x {len(STRATEGIES)} strategies x {H} days = {pdays} patient-days "
          f"in {wall:.2f} s ({pdays / wall / 1e6:.1f} M patient-days/s)")


if __name__ == "__main__":
    main()
