#!/bin/sh
# h5same.sh A.h5 B.h5: succeed when the two painsim files hold the same
# datasets, /results and attributes, apart from the root attributes that say
# when and how a file was made (created, command_line; mpi_version: the MPI
# build names its MPI library, the serial build "none"; git_commit: the two
# builds may be configured from different states of the tree; file_kind and merged_*: that a
# file was merged, and from which shards; mpi_ranks: how many ranks wrote it), and the
# elapsed_seconds of a PSA's /psa (how long it took).  h5diff compares the
# values (it skips empty datasets as "not comparable"), Debian's h5py the
# names, shapes and types of every dataset and the root attributes.
set -eu
a=$1
b=$2
if ! out=$(h5diff --exclude-attribute / --exclude-attribute /psa "$a" "$b" 2>&1); then
    printf '%s\n' "$out" | head -n 40 >&2
    echo "h5same: $a and $b differ (h5diff)" >&2
    exit 1
fi
/usr/bin/python3 - "$a" "$b" <<'PY'
import sys, h5py
skip = {"created", "command_line", "mpi_version", "git_commit", "file_kind", "mpi_ranks"}
def layout(f):
    out = {}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = (obj.shape, obj.dtype.str if obj.dtype.names is None else str(obj.dtype))
        else:
            out[name] = "group"
    f.visititems(visit)
    return out
with h5py.File(sys.argv[1], "r") as fa, h5py.File(sys.argv[2], "r") as fb:
    la, lb = layout(fa), layout(fb)
    if la != lb:
        diff = sorted(k for k in set(la) | set(lb) if la.get(k) != lb.get(k))
        sys.exit("h5same: objects differ in name, shape or type: %s" % ", ".join(
            "%s (%s vs %s)" % (k, la.get(k), lb.get(k)) for k in diff[:10]))
    def same_attrs(where, ga, gb, skip):
        ka = set(k for k in ga.attrs if not k.startswith("merged_")) - skip
        kb = set(k for k in gb.attrs if not k.startswith("merged_")) - skip
        if ka != kb:
            sys.exit("h5same: attributes of %s differ: %s" % (where, sorted(ka ^ kb)))
        for k in sorted(ka):
            va, vb = ga.attrs[k], gb.attrs[k]
            same = (va.shape == vb.shape and (va == vb).all()) if hasattr(va, "shape") else va == vb
            if not same:
                sys.exit("h5same: attribute %s of %s differs: %r vs %r" % (k, where, va, vb))
    same_attrs("/", fa, fb, skip)
    if "psa" in fa:
        same_attrs("/psa", fa["psa"], fb["psa"], {"elapsed_seconds"})
PY
