"""Print the largest absolute differences between rsnprop.sem and lavaan 0.6.14 for every
reference model of tests/reference/sem_*.json (estimates, SEs, std_all, fit indices, chi-squares).

Run: .venv/bin/python tests/reference/sem_compare.py
"""
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.simplefilter('ignore')  # Heywood warnings of some groups are expected
from sem_refs import *
from rsnprop.sem import fit, invariance
import pandas as pd, numpy as np
hs = hs_data()
rows = []
def rec(name, res, block, cols=("est","se","std_all")):
    d = max_diff(estimate_diffs(res.estimates, block["estimates"], cols=cols))
    f = fit_diffs(res.fit, block["fit"])
    fm = max(v for k, v in f.items() if k not in ("aic","bic","loglik","loglik_h1","chi2","baseline_chi2","chi2_scaled","baseline_chi2_scaled"))
    chi = max(v for k, v in f.items() if k in ("chi2","chi2_scaled"))
    rows.append((name, d.get("d_est"), d.get("d_se"), d.get("d_std_all"), fm, chi))
ref = load("sem_hs.json")
rec("HS CFA ML", fit(HS_MODEL, hs), ref["cfa"])
rec("HS CFA std_lv", fit(HS_MODEL, hs, std_lv=True), ref["cfa_stdlv"])
for s in ("configural","metric","scalar","strict","means"):
    rec(f"HS {s} (school)", fit(HS_MODEL, hs, group="school", group_equal=ref["invariance"][s]["group_equal"]), ref["invariance"][s])
rec("HS partial scalar", fit(HS_MODEL, hs, group="school", group_equal=ref["partial"]["group_equal"], group_partial=ref["partial"]["group_partial"]), ref["partial"])
pd_ref = load("sem_poldem.json"); pdd = pd.read_csv(REF/"sem_poldem.csv")
rec("PolDem SEM ML", fit(pd_ref["model"], pdd), pd_ref)
rec("PolDem SEM MLR", fit(pd_ref["model"], pdd, estimator="MLR"), pd_ref["mlr"])
m = load("sem_mlr.json")
rec("HS MLR", fit(HS_MODEL, hs, estimator="MLR"), m)
rec("HS MLR metric", fit(HS_MODEL, hs, estimator="MLR", group="school", group_equal=["loadings"]), m["multigroup_metric"])
fr = load("sem_fiml.json"); fd = pd.read_csv(REF/"sem_fiml.csv")
rec("HS FIML ML", fit(HS_MODEL, fd, missing="fiml"), fr)
rec("HS FIML MLR", fit(HS_MODEL, fd, missing="fiml", estimator="MLR"), fr["mlr"])
mi = load("sem_mimic.json")
rec("MIMIC ML (fixed.x)", fit(mi["mimic"], hs), mi["mimic_fit"])
rec("MIMIC MLR", fit(mi["mimic"], hs, estimator="MLR"), mi["mimic_mlr"])
w = load("sem_wlsmv.json"); wd = pd.read_csv(REF/"sem_wlsmv.csv"); items=['A1','A2','A3','A4','A5','C1','C2','C3','C4','C5']
rec("bfi WLSMV", fit(w["model"], wd, ordered=items), w)
wg = load("sem_wlsmv_groups.json")
for s in ("configural","metric","scalar"):
    rec(f"bfi WLSMV {s} (gender)", fit(wg["model"], wd, ordered=items, group="gender", group_equal=wg[s]["group_equal"]), wg[s])
wt = load("sem_wlsmv_theta.json")
rec("bfi WLSMV theta", fit(wt["model"], wd, ordered=items, parameterization="theta"), wt["single"])
for s in ("configural", "metric", "scalar", "strict"):
    ge_ = wt[s]["group_equal"]
    rec(f"bfi WLSMV theta {s} (gender)", fit(wt["model"], wd, ordered=items, group="gender", parameterization="theta",
                                             group_equal=[ge_] if isinstance(ge_, str) else (ge_ or [])), wt[s])
gm = load("sem_groupmod.json")
for name, block in gm["models"].items():
    ge = block["group_equal"]
    ge = [ge] if isinstance(ge, str) else (ge or [])
    rec(f"HS c() vectors: {name}", fit(block["model"], hs, group="school", group_equal=ge), block)
fm_ = load("sem_fiml_mi.json"); fmd = pd.read_csv(REF/"sem_fiml_mi.csv")
for name, kw in (("single", {}), ("school", {"group": "school"})):
    r_ = fit(fm_["model"], fmd, missing="fiml", **kw)
    rec(f"HS FIML 10% {name}", r_, fm_[name])
    m_ = pd.DataFrame(fm_[name]["mi"]).merge(r_.modindices(), on=["lhs", "op", "rhs", "group"], suffixes=("_r", ""))
    print(f"HS FIML 10% {name}: modindices max|d mi| {np.max(np.abs(m_.mi - m_.mi_r)):.1e}, "
          f"max|d epc| {np.max(np.abs(m_.epc - m_.epc_r)):.1e}, max|d sepc.all| "
          f"{np.max(np.abs(m_.sepc_all - m_['sepc.all'])):.1e} ({len(m_)} indices)")
wm_ = load("sem_wlsmv_mi.json")
for name in ("single", "configural", "metric", "scalar"):
    ge_ = wm_[name]["group_equal"]
    kw = {} if name == "single" else {"group": "gender", "group_equal": [ge_] if isinstance(ge_, str) else (ge_ or [])}
    m_ = pd.DataFrame(wm_[name]["mi"]).merge(fit(wm_["model"], wd, ordered=items, **kw).modindices(),
                                             on=["lhs", "op", "rhs", "group"], suffixes=("_r", ""))
    print(f"bfi WLSMV {name}: modindices max|d mi| {np.max(np.abs(m_.mi - m_.mi_r)):.1e}, "
          f"max|d epc| {np.max(np.abs(m_.epc - m_.epc_r)):.1e}, max|d sepc.all| "
          f"{np.max(np.abs(m_.sepc_all - m_['sepc.all'])):.1e} ({len(m_)} indices)")
out = pd.DataFrame(rows, columns=["model","max|d est|","max|d se|","max|d std_all|","max|d fit index|","max|d chi2|"])
pd.set_option("display.float_format", "{:.1e}".format); pd.set_option("display.width", 200)
print(out.to_string(index=False))
