"""Typical wrong (and correct, differently written) variants for the model_selection topic."""
import numpy as np

import reference as ref  # variants may call other curriculum functions as ref.<name>

from ..cases import correct, mistake

# A message that the cross_validate battery's type check also names (imported there).
SCORES_NOT_AN_ARRAY = ("the scores must come back as a float array of shape (k,), not a list: "
                       "np.array(scores, dtype=float)")

# ---------------------------------------------------------------- train_val_test_split


@mistake("train_val_test_split", "the validation slice is taken first: the contract takes "
                                 "test = p[:m_test] first, then val, and the rest is train")
def train_val_test_split(m, rng, val=0.2, test=0.2):
    p = rng.permutation(m)
    m_test, m_val = round(test * m), round(val * m)
    return p[m_val + m_test:], p[:m_val], p[m_val:m_val + m_test]


@mistake("train_val_test_split", "the sizes are truncated with int(); the contract rounds: "
                                 "m_test = round(test*m), m_val = round(val*m)",
         rules=("ps4.split.round",))
def train_val_test_split(m, rng, val=0.2, test=0.2):
    p = rng.permutation(m)
    m_test, m_val = int(test * m), int(val * m)
    return p[m_test + m_val:], p[m_test:m_test + m_val], p[:m_test]


@mistake("train_val_test_split", "val is a fraction of all m samples, not of what is left "
                                 "after the test split: m_val = round(val*m)")
def train_val_test_split(m, rng, val=0.2, test=0.2):
    p = rng.permutation(m)
    m_test = round(test * m)
    m_val = round(val * (m - m_test))
    return p[m_test + m_val:], p[m_test:m_test + m_val], p[:m_test]


@mistake("train_val_test_split", "train overlaps val: train is what is left after BOTH the "
                                 "test and the val slices, p[m_test + m_val:]",
         rules=("ps4.split.partition",))
def train_val_test_split(m, rng, val=0.2, test=0.2):
    p = rng.permutation(m)
    m_test, m_val = round(test * m), round(val * m)
    return p[m_test:], p[m_test:m_test + m_val], p[:m_test]


@mistake("train_val_test_split", "the arrays come back in the wrong order: return "
                                 "(train_idx, val_idx, test_idx)")
def train_val_test_split(m, rng, val=0.2, test=0.2):
    p = rng.permutation(m)
    m_test, m_val = round(test * m), round(val * m)
    return p[:m_test], p[m_test:m_test + m_val], p[m_test + m_val:]


@mistake("train_val_test_split", "the shuffle is drawn differently: the contract draws "
                                 "p = rng.permutation(m), one call, so a seeded rng "
                                 "reproduces the split")
def train_val_test_split(m, rng, val=0.2, test=0.2):
    if not isinstance(m, int) or m < 1 or not 0 <= val <= 1 or not 0 <= test <= 1:
        raise ValueError("need an integer m >= 1 and val, test in [0, 1]")
    m_test, m_val = round(test * m), round(val * m)
    if m_test + m_val > m:
        raise ValueError("val and test leave no room for train")
    p = rng.choice(m, size=m, replace=False)
    return p[m_test + m_val:], p[m_test:m_test + m_val], p[:m_test]


@correct("train_val_test_split")
def train_val_test_split(m, rng, val=0.2, test=0.2):
    """rng.shuffle of arange(m) (the same draw as permutation), then np.split"""
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be an integer >= 1, got m={m!r}")
    for name, f in (("val", val), ("test", test)):
        if not 0 <= f <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {name}={f}")
    n_test, n_val = round(test * m), round(val * m)
    if n_test + n_val > m:
        raise ValueError(f"round(test*m) + round(val*m) = {n_test + n_val} > m = {m}")
    idx = np.arange(m)
    rng.shuffle(idx)
    te, va, tr = np.split(idx, [n_test, n_test + n_val])
    return tr, va, te


@correct("train_val_test_split")
def train_val_test_split(m, rng, val=0.2, test=0.2):
    """boolean masks over the permutation; train sorted by np.setdiff1d"""
    if not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m must be an integer >= 1, got {m!r}")
    if not (0 <= val <= 1 and 0 <= test <= 1):
        raise ValueError(f"val and test must lie in [0, 1], got val={val}, test={test}")
    sizes = [round(test * m), round(val * m)]
    if sum(sizes) > m:
        raise ValueError("val and test are too large for m")
    p = rng.permutation(m)
    position = np.empty(m, dtype=np.int64)
    position[p] = np.arange(m)
    test_idx = np.flatnonzero(position < sizes[0])
    val_idx = np.flatnonzero((position >= sizes[0]) & (position < sum(sizes)))
    train_idx = np.setdiff1d(np.arange(m), np.concatenate([test_idx, val_idx]))
    return train_idx, val_idx, test_idx


# ---------------------------------------------------------------- kfold


@mistake("kfold", "the remainder is dropped: with m % k != 0 some samples are never "
                  "validated; give the first m % k folds one extra sample (m//k + 1)")
def kfold(m, k, rng=None):
    order = np.arange(m) if rng is None else rng.permutation(m)
    size = m // k
    return [(np.concatenate([order[:j * size], order[(j + 1) * size:]]),
             order[j * size:(j + 1) * size]) for j in range(k)]


@mistake("kfold", "the extra samples go to the last fold; as in scikit-learn, the FIRST "
                  "m % k folds get m//k + 1 samples and the others m//k",
         rules=("ps4.kfold.sizes",))
def kfold(m, k, rng=None):
    order = np.arange(m) if rng is None else rng.permutation(m)
    size = m // k
    folds = []
    for j in range(k):
        stop = m if j == k - 1 else (j + 1) * size
        folds.append((np.concatenate([order[:j * size], order[stop:]]), order[j * size:stop]))
    return folds


@mistake("kfold", "every fold takes ceil(m/k) samples, which leaves the last fold short; "
                  "the first m % k folds get m//k + 1 samples and the others m//k")
def kfold(m, k, rng=None):
    order = np.arange(m) if rng is None else rng.permutation(m)
    size = -(-m // k)
    return [(np.concatenate([order[:j * size], order[(j + 1) * size:]]),
             order[j * size:(j + 1) * size]) for j in range(k)]


@mistake("kfold", "the validation folds overlap (a slice's end is inclusive?): fold j is "
                  "order[start:stop], the next one starts at stop")
def kfold(m, k, rng=None):
    order = np.arange(m) if rng is None else rng.permutation(m)
    sizes = np.full(k, m // k)
    sizes[:m % k] += 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    folds = []
    for start, size in zip(starts, sizes):
        va = order[start:start + size + 1]
        folds.append((np.setdiff1d(order, va), va))
    return folds


@mistake("kfold", "the training indices include the validation fold: train_idx must hold "
                  "every index EXCEPT the fold's val_idx")
def kfold(m, k, rng=None):
    order = np.arange(m) if rng is None else rng.permutation(m)
    return [(order.copy(), va) for va in np.array_split(order, k)]


@mistake("kfold", "a new permutation is drawn for every fold, so the folds overlap and miss "
                  "samples: draw the order once, rng.permutation(m), then slice it")
def kfold(m, k, rng=None):
    sizes = [m // k + (1 if j < m % k else 0) for j in range(k)]
    folds, start = [], 0
    for size in sizes:
        order = np.arange(m) if rng is None else rng.permutation(m)
        folds.append((np.concatenate([order[:start], order[start + size:]]),
                      order[start:start + size]))
        start += size
    return folds


@mistake("kfold", "the rng is ignored: when an rng is given, shuffle the order once with "
                  "rng.permutation(m) before slicing the folds")
def kfold(m, k, rng=None):
    if k < 2 or k > m:
        raise ValueError(f"k must be in [2, m], got k={k}, m={m}")
    return [(np.setdiff1d(np.arange(m), va), va) for va in np.array_split(np.arange(m), k)]


@mistake("kfold", "the shuffle is drawn differently: the contract draws the order once with "
                  "rng.permutation(m), so a seeded rng reproduces the folds")
def kfold(m, k, rng=None):
    if k < 2 or k > m:
        raise ValueError(f"k must be in [2, m], got k={k}, m={m}")
    order = np.arange(m) if rng is None else rng.choice(m, size=m, replace=False)
    return [(np.setdiff1d(order, va), va) for va in np.array_split(order, k)]


@correct("kfold")
def kfold(m, k, rng=None):
    """np.array_split of the order, train = concatenation of the other folds"""
    if not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"k must be an integer >= 2, got k={k!r}")
    if not isinstance(m, (int, np.integer)) or k > m:
        raise ValueError(f"k must be <= m, got k={k}, m={m}")
    order = np.arange(m) if rng is None else rng.permutation(m)
    parts = np.array_split(order, k)
    return [(np.concatenate(parts[:j] + parts[j + 1:]), parts[j]) for j in range(k)]


@correct("kfold")
def kfold(m, k, rng=None):
    """a fold label per position, then boolean masks; explicit loop"""
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    if k > m:
        raise ValueError(f"k must be <= m = {m}, got {k}")
    if rng is None:
        order = np.arange(m)
    else:
        order = np.arange(m)
        rng.shuffle(order)
    label = np.empty(m, dtype=np.int64)
    start = 0
    for j in range(k):
        size = m // k + (1 if j < m % k else 0)
        label[start:start + size] = j
        start += size
    folds = []
    for j in range(k):
        folds.append((order[label != j], order[label == j]))
    return folds


# ---------------------------------------------------------------- cross_validate


@mistake("cross_validate", "each model is scored on its own training fold: score it on the "
                           "held-out fold, score(model, X[val], y[val])")
def cross_validate(fit, score, X, y, k, rng=None):
    return np.array([score(fit(X[tr], y[tr]), X[tr], y[tr])
                     for tr, va in ref.kfold(len(y), k, rng)], dtype=float)


@mistake("cross_validate", "the model is fit on ALL the data, so it has seen the validation "
                           "fold: fit on X[train], y[train] of each fold")
def cross_validate(fit, score, X, y, k, rng=None):
    return np.array([score(fit(X, y), X[va], y[va])
                     for tr, va in ref.kfold(len(y), k, rng)], dtype=float)


@mistake("cross_validate", "the k scores are averaged: return all k validation scores, in "
                           "fold order, as an array of shape (k,)")
def cross_validate(fit, score, X, y, k, rng=None):
    return float(np.mean([score(fit(X[tr], y[tr]), X[va], y[va])
                          for tr, va in ref.kfold(len(y), k, rng)]))


@mistake("cross_validate", "train and validation are swapped: fit on the k-1 training folds, "
                           "score on the held-out fold")
def cross_validate(fit, score, X, y, k, rng=None):
    return np.array([score(fit(X[va], y[va]), X[tr], y[tr])
                     for tr, va in ref.kfold(len(y), k, rng)], dtype=float)


@mistake("cross_validate", "the folds come from a different order: pass the rng on to "
                           "kfold(m, k, rng) (one permutation), and use its folds in order")
def cross_validate(fit, score, X, y, k, rng=None):
    if len(X) != len(y):
        raise ValueError("X and y must have the same number of samples")
    return np.array([score(fit(X[tr], y[tr]), X[va], y[va])
                     for tr, va in ref.kfold(len(y), k)], dtype=float)


@mistake("cross_validate", "the scores are in reverse fold order: score fold 0 first, as "
                           "kfold returns them",
         rules=("ps4.cross_validate.fold-order",))
def cross_validate(fit, score, X, y, k, rng=None):
    if len(X) != len(y):
        raise ValueError("X and y must have the same number of samples")
    return np.array([score(fit(X[tr], y[tr]), X[va], y[va])
                     for tr, va in ref.kfold(len(y), k, rng)][::-1], dtype=float)


@correct("cross_validate")
def cross_validate(fit, score, X, y, k, rng=None):
    """explicit loop filling a preallocated array, with boolean train masks"""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X (m, n) and y (m,) must have the same m, got {X.shape}, {y.shape}")
    folds = ref.kfold(X.shape[0], k, rng)
    scores = np.empty(len(folds))
    for j, (_, va) in enumerate(folds):
        train = np.ones(X.shape[0], dtype=bool)
        train[va] = False
        model = fit(X[train], y[train])
        scores[j] = score(model, X[va], y[va])
    return scores


@correct("cross_validate")
def cross_validate(fit, score, X, y, k, rng=None):
    """folds by np.array_split of the same permutation, np.fromiter over a generator"""
    X, y = np.asarray(X), np.asarray(y)
    m = len(y)
    if len(X) != m:
        raise ValueError(f"X has {len(X)} samples but y has {m}")
    if k < 2 or k > m:
        raise ValueError(f"k must be in [2, m={m}], got k={k}")
    order = np.arange(m) if rng is None else rng.permutation(m)
    parts = np.array_split(order, k)
    return np.fromiter((score(fit(X[np.setdiff1d(order, va)], y[np.setdiff1d(order, va)]),
                              X[va], y[va]) for va in parts), dtype=np.float64, count=k)


# ---------------------------------------------------------------- grid_search


@mistake("grid_search", "the LOWEST mean score wins (argmin): scores are higher-is-better, "
                        "take the highest mean (argmax)")
def grid_search(fit, score, X, y, grid, k, rng=None):
    import itertools
    folds = ref.kfold(len(y), k, rng)
    results = []
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid.keys(), combo))
        s = [score(fit(X[tr], y[tr], **params), X[va], y[va]) for tr, va in folds]
        results.append((params, float(np.mean(s))))
    best = int(np.argmin([s for _, s in results]))
    return dict(results[best][0]), results


@mistake("grid_search", "on a tie the LAST best candidate wins (>= instead of >): keep the "
                        "first candidate with the highest mean score",
         rules=("ps4.grid_search.first-tie",))
def grid_search(fit, score, X, y, grid, k, rng=None):
    import itertools
    folds = ref.kfold(len(y), k, rng)
    results, best, best_score = [], None, -np.inf
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid.keys(), combo))
        s = float(np.mean([score(fit(X[tr], y[tr], **params), X[va], y[va])
                           for tr, va in folds]))
        results.append((params, s))
        if s >= best_score:
            best, best_score = params, s
    return dict(best), results


@mistake("grid_search", "new folds are drawn for every candidate, so candidates are compared "
                        "on different splits: draw kfold(m, k, rng) once, before the loop",
         rules=("ps4.grid_search.same-folds",))
def grid_search(fit, score, X, y, grid, k, rng=None):
    import itertools
    results = []
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid.keys(), combo))
        folds = ref.kfold(len(y), k, rng)
        s = [score(fit(X[tr], y[tr], **params), X[va], y[va]) for tr, va in folds]
        results.append((params, float(np.mean(s))))
    best = int(np.argmax([s for _, s in results]))
    return dict(results[best][0]), results


@mistake("grid_search", "the candidates are not in itertools.product order over the grid's "
                        "keys (the first key varies slowest): use "
                        "itertools.product(*grid.values())",
         rules=("ps4.grid_search.order",))
def grid_search(fit, score, X, y, grid, k, rng=None):
    import itertools
    folds = ref.kfold(len(y), k, rng)
    keys = list(grid)[::-1]
    results = []
    for combo in itertools.product(*(grid[key] for key in keys)):
        params = {key: combo[keys.index(key)] for key in grid}
        s = [score(fit(X[tr], y[tr], **params), X[va], y[va]) for tr, va in folds]
        results.append((params, float(np.mean(s))))
    best = int(np.argmax([s for _, s in results]))
    return dict(results[best][0]), results


@mistake("grid_search", "the fold scores are summed: each candidate's score is the MEAN "
                        "validation score (1/k) sum_j s_j")
def grid_search(fit, score, X, y, grid, k, rng=None):
    import itertools
    folds = ref.kfold(len(y), k, rng)
    results = []
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid.keys(), combo))
        s = [score(fit(X[tr], y[tr], **params), X[va], y[va]) for tr, va in folds]
        results.append((params, float(np.sum(s))))
    best = int(np.argmax([s for _, s in results]))
    return dict(results[best][0]), results


@mistake("grid_search", "the candidates are scored on their training folds (or fit on all "
                        "the data): each candidate's score is its mean VALIDATION score")
def grid_search(fit, score, X, y, grid, k, rng=None):
    import itertools
    folds = ref.kfold(len(y), k, rng)
    results = []
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid.keys(), combo))
        s = [score(fit(X[tr], y[tr], **params), X[tr], y[tr]) for tr, va in folds]
        results.append((params, float(np.mean(s))))
    best = int(np.argmax([s for _, s in results]))
    return dict(results[best][0]), results


@correct("grid_search")
def grid_search(fit, score, X, y, grid, k, rng=None):
    """explicit running maximum with a strict > (the first wins ties), Python sums"""
    import itertools
    X, y = np.asarray(X), np.asarray(y)
    if not isinstance(grid, dict):
        raise ValueError(f"grid must be a dict, got {type(grid).__name__}")
    if len(X) != len(y):
        raise ValueError("X and y must have the same number of samples")
    if k < 2 or k > len(y):
        raise ValueError(f"k must be in [2, m], got k={k}")
    folds = ref.kfold(len(y), k, rng)
    results, best, best_score = [], None, None
    for combo in itertools.product(*[list(v) for v in grid.values()]):
        params = dict(zip(grid, combo))
        scores = [float(score(fit(X[tr], y[tr], **params), X[va], y[va])) for tr, va in folds]
        mean = sum(scores) / len(scores)
        results.append((params, mean))
        if best is None or mean > best_score:
            best, best_score = dict(params), mean
    return best, results


@correct("grid_search")
def grid_search(fit, score, X, y, grid, k, rng=None):
    """nested index arithmetic instead of itertools.product; np.argmax picks the first max"""
    if not isinstance(grid, dict):
        raise ValueError(f"grid must be a dict {{name: candidates}}, got {type(grid).__name__}")
    names = list(grid.keys())
    values = [list(grid[n]) for n in names]
    if any(len(v) == 0 for v in values):
        raise ValueError("every grid entry needs at least one value")
    X, y = np.asarray(X), np.asarray(y)
    folds = ref.kfold(X.shape[0], k, rng)
    total = int(np.prod([len(v) for v in values]))
    results = []
    for flat in range(total):
        params, rest = {}, flat
        for name, vals in zip(names[::-1], values[::-1]):
            params[name] = vals[rest % len(vals)]
            rest //= len(vals)
        params = {n: params[n] for n in names}
        s = np.array([score(fit(X[tr], y[tr], **params), X[va], y[va]) for tr, va in folds])
        results.append((params, float(np.mean(s))))
    best = int(np.argmax([r[1] for r in results]))
    return dict(results[best][0]), results


# ---------------------------------------------------------------- early_stopping


@mistake("early_stopping", "you stop one epoch late (after patience + 1 epochs without "
                           "improvement): stop at the epoch that completes `patience` of them")
def early_stopping(val_costs, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, cost in enumerate(val_costs):
        if cost < best - min_delta:
            best, best_epoch, waited = cost, epoch, 0
        else:
            waited += 1
            if waited > patience:
                return epoch, best_epoch
    return len(val_costs) - 1, best_epoch


@mistake("early_stopping", "best_epoch is the argmin of the costs; it must be the last epoch "
                           "that IMPROVED (by more than min_delta), which can differ",
         rules=("ps4.early_stopping.best-epoch",))
def early_stopping(val_costs, patience, min_delta=0.0):
    costs = list(val_costs)
    best, waited, stop = np.inf, 0, len(costs) - 1
    for epoch, cost in enumerate(costs):
        if cost < best - min_delta:
            best, waited = cost, 0
        else:
            waited += 1
            if waited == patience:
                stop = epoch
                break
    return stop, int(np.argmin(costs[:stop + 1]))


@mistake("early_stopping", "an epoch that only ties the best (an improvement of exactly "
                           "min_delta, or none) counts as an improvement: use a strict "
                           "cost < best - min_delta")
def early_stopping(val_costs, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, cost in enumerate(val_costs):
        if cost <= best - min_delta:
            best, best_epoch, waited = cost, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(val_costs) - 1, best_epoch


@mistake("early_stopping", "the patience counter is not reset after an improvement: count "
                           "the epochs without improvement IN A ROW")
def early_stopping(val_costs, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, cost in enumerate(val_costs):
        if cost < best - min_delta:
            best, best_epoch = cost, epoch
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(val_costs) - 1, best_epoch


@mistake("early_stopping", "each epoch is compared with the previous epoch; compare with the "
                           "BEST cost so far: improve when cost < best - min_delta",
         rules=("ps4.early_stopping.improves",))
def early_stopping(val_costs, patience, min_delta=0.0):
    prev, best_epoch, waited = np.inf, 0, 0
    for epoch, cost in enumerate(val_costs):
        if cost < prev - min_delta:
            best_epoch, waited = epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
        prev = cost
    return len(val_costs) - 1, best_epoch


@mistake("early_stopping", "best_epoch is not always stop_epoch - patience (e.g. when "
                           "training never stops): remember the epoch of the last improvement")
def early_stopping(val_costs, patience, min_delta=0.0):
    best, waited = np.inf, 0
    for epoch, cost in enumerate(val_costs):
        if cost < best - min_delta:
            best, waited = cost, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, epoch - patience
    return len(val_costs) - 1, len(val_costs) - 1 - patience


@mistake("early_stopping", "when patience never runs out, stop_epoch is the LAST epoch, "
                           "len(val_costs) - 1 (epochs count from 0)",
         rules=("ps4.early_stopping.last-epoch",))
def early_stopping(val_costs, patience, min_delta=0.0):
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, cost in enumerate(val_costs):
        if cost < best - min_delta:
            best, best_epoch, waited = cost, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(val_costs), best_epoch


@correct("early_stopping")
def early_stopping(val_costs, patience, min_delta=0.0):
    """waiting time as epoch - best_epoch, with a while loop"""
    costs = np.asarray(val_costs, dtype=np.float64)
    if costs.ndim != 1 or costs.size == 0:
        raise ValueError(f"val_costs must be a non-empty 1-d sequence, got shape {costs.shape}")
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
        raise ValueError(f"patience must be an integer >= 1, got {patience!r}")
    if not min_delta >= 0:
        raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
    best, best_epoch, improved_once, epoch = np.inf, 0, False, 0
    while epoch < costs.size:
        if costs[epoch] < best - min_delta:
            best, best_epoch, improved_once = costs[epoch], epoch, True
        elif epoch - (best_epoch if improved_once else -1) >= patience:
            return epoch, best_epoch
        epoch += 1
    return costs.size - 1, best_epoch


@correct("early_stopping")
def early_stopping(val_costs, patience, min_delta=0.0):
    """a for loop over Python floats with a countdown of the remaining patience"""
    costs = [float(c) for c in val_costs]
    if not costs:
        raise ValueError("val_costs must hold at least one epoch")
    if int(patience) != patience or patience < 1:
        raise ValueError(f"patience must be an integer >= 1, got {patience}")
    if min_delta < 0:
        raise ValueError(f"min_delta must be >= 0, got {min_delta}")
    best, best_epoch, left = float("inf"), 0, patience
    for epoch, cost in enumerate(costs):
        if cost < best - min_delta:
            best, best_epoch, left = cost, epoch, patience
            continue
        left -= 1
        if left == 0:
            return epoch, best_epoch
    return len(costs) - 1, best_epoch


# ---------------------------------------------------------------- rules of ps4 broken alone

@mistake("train_val_test_split", "the indices are not shuffled (arange(m) cut in order): shuffle "
                                 "first, p = rng.permutation(m), so that the three sets come "
                                 "from the same distribution", rules=("ps4.split.shuffle",))
def train_val_test_split(m, rng, val=0.2, test=0.2):
    _, val_idx, test_idx = ref.train_val_test_split(m, rng, val, test)  # checks, one draw
    p, m_test, m_val = np.arange(m), len(test_idx), len(val_idx)
    return p[m_test + m_val:], p[m_test:m_test + m_val], p[:m_test]


@mistake("train_val_test_split", "val and test that leave no room (round(val*m) + "
                                 "round(test*m) > m) must raise ValueError, not return "
                                 "short sets", rules=("ps4.split.bad-input", "ps4.bad-input"))
def train_val_test_split(m, rng, val=0.2, test=0.2):
    m_test, m_val = round(test * m), round(val * m)
    if m_test + m_val <= m:
        return ref.train_val_test_split(m, rng, val, test)
    p = rng.permutation(m)
    return p[m_test + m_val:], p[m_test:m_test + m_val], p[:m_test]


@mistake("kfold", "k > m must raise ValueError: some folds would be empty (2 <= k <= m)",
         rules=("ps4.kfold.bad-input", "ps4.bad-input"))
def kfold(m, k, rng=None):
    order = np.arange(m) if rng is None else rng.permutation(m)
    folds = np.array_split(order, k)
    return [(np.concatenate(folds[:j] + folds[j + 1:]), fold) for j, fold in enumerate(folds)]


@mistake("cross_validate", SCORES_NOT_AN_ARRAY, rules=("ps4.cross_validate.array",))
def cross_validate(fit, score, X, y, k, rng=None):
    return [float(s) for s in ref.cross_validate(fit, score, X, y, k, rng)]


@mistake("cross_validate", "X and y with different numbers of rows must raise ValueError "
                           "naming both shapes, not be cut to len(y)",
         rules=("ps4.cross_validate.bad-input", "ps4.bad-input"))
def cross_validate(fit, score, X, y, k, rng=None):
    X, y = np.asarray(X), np.asarray(y)
    return np.array([score(fit(X[tr], y[tr]), X[va], y[va])
                     for tr, va in ref.kfold(len(y), k, rng)], dtype=float)


@mistake("grid_search", "grid must be a dict {name: list of candidates}: a list of pairs must "
                        "raise ValueError, not be turned into a dict",
         rules=("ps4.grid_search.bad-input", "ps4.bad-input"))
def grid_search(fit, score, X, y, grid, k, rng=None):
    return ref.grid_search(fit, score, X, y, dict(grid), k, rng)


@mistake("early_stopping", "a NaN cost counted as an improvement (not cost >= best is True for "
                           "NaN): test cost < best - min_delta, which is False for NaN",
         rules=("ps4.early_stopping.nan",))
def early_stopping(val_costs, patience, min_delta=0.0):
    ref.early_stopping(val_costs, patience, min_delta)  # the reference's checks
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, cost in enumerate(val_costs):
        if not cost >= best - min_delta:
            best, best_epoch, waited = cost, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_costs) - 1, best_epoch


@mistake("early_stopping", "patience must be an integer >= 1: patience = 0 must raise "
                           "ValueError", rules=("ps4.early_stopping.bad-input", "ps4.bad-input"))
def early_stopping(val_costs, patience, min_delta=0.0):
    ref.early_stopping(val_costs, 1, min_delta)  # the reference's other checks
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, cost in enumerate(val_costs):
        if cost < best - min_delta:
            best, best_epoch, waited = cost, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_costs) - 1, best_epoch


@mistake("early_stopping", "stop_epoch and best_epoch must be ints (epoch numbers), not floats",
         rules=("ps4.early_stopping.ints",))
def early_stopping(val_costs, patience, min_delta=0.0):
    stop_epoch, best_epoch = ref.early_stopping(val_costs, patience, min_delta)
    return float(stop_epoch), float(best_epoch)
