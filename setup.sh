#!/bin/sh
# painsim set-up on Debian 12: install what is missing, build, then run or test.
#
#   ./setup.sh run    install, build (Release) and run scenarios/default.yaml
#   ./setup.sh test   install, build (Release, with tests) and run the test suite
#                     (with tests/cluster: a single-host Slurm started by the test);
#                     then the MPI build (build-mpi) and its mpirun test;
#                     then the same suite built with AddressSanitizer and UBSan
#                     (build-asan), and the fuzz targets built with clang and
#                     libFuzzer run for a fixed number of inputs from their
#                     corpus (build-fuzz, docs/fuzzing.md)
#
# Dependencies come from Debian's packages only (apt-get); packages already
# installed are not installed again and a second run only rebuilds what changed.
set -eu

cd "$(dirname "$0")"
what=${1:-run}
case "$what" in
  run|test) ;;
  *) echo "usage: ./setup.sh run|test" >&2; exit 2 ;;
esac

# libjs-chart.js: Chart.js, which `painsim report` inlines into its HTML page.
packages="gcc g++ make cmake pkg-config libhdf5-dev libyaml-dev libcriterion-dev libpcg-cpp-dev hdf5-tools python3
  liblapacke-dev liblapack-dev libblas-dev libjs-chart.js python3-h5py"
# python3-h5py: the worked example of docs/model.md runs as written (and a test runs it).
# The test suite also cross-checks the EVPPI regressions against R's mgcv, and
# loads the report pages in headless Chromium (with a font for the screenshots);
# the fuzz targets need clang with libFuzzer (libclang-rt-14-dev) and clang's
# OpenMP runtime, and llvm-symbolizer (llvm) for the function names in the
# sanitizers' stacks, which the leak suppressions and the classification of
# fuzz_summary's mutation run read.
if [ "$what" = test ]; then
  packages="$packages r-base-core r-cran-mgcv chromium fonts-dejavu-core clang libclang-rt-14-dev libomp-dev llvm"
  # tests/test_reliability.c watches the output file's fsync and rename calls.
  packages="$packages strace"
  # tests/cluster: a single-host Slurm with munge (slurm_test.sh).
  packages="$packages slurm-wlm munge"
  # the MPI build (build-mpi): OpenMPI and Debian's parallel HDF5
  packages="$packages openmpi-bin libopenmpi-dev libhdf5-openmpi-dev"
fi
missing=""
for p in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done
if [ -n "$missing" ]; then
  echo "setup: installing$missing" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing
fi

jobs=$(nproc 2>/dev/null || echo 2)
if [ "$what" = test ]; then cluster=ON; else cluster=OFF; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPAINSIM_TESTS=ON -DPAINSIM_CLUSTER_TESTS=$cluster >/dev/null
cmake --build build --parallel "$jobs"

if [ "$what" = run ]; then
  exec ./build/painsim run scenarios/default.yaml --force
fi

(cd build && ctest --output-on-failure --verbose --timeout 1800)

# The MPI build (OpenMPI, parallel HDF5; docs/cluster.md) and its test:
# mpirun -n 1..4 painsim run gives the serial build's file (tests/cluster).
cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=Release -DPAINSIM_TESTS=OFF -DPAINSIM_MPI=ON -DPAINSIM_CLUSTER_TESTS=ON \
  -DPAINSIM_SERIAL_PAINSIM="$PWD/build/painsim" >/dev/null
cmake --build build-mpi --parallel "$jobs"
(cd build-mpi && ctest --output-on-failure --verbose)

# The whole suite again with AddressSanitizer and UBSan: any report fails it.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DPAINSIM_TESTS=ON -DPAINSIM_SANITIZE=ON >/dev/null
cmake --build build-asan --parallel "$jobs"
(cd build-asan && ctest --output-on-failure)

# The fuzz targets (tests/fuzz) with libFuzzer, ASan and UBSan: both corpora
# replayed, fuzz_scenario run for a fixed number of inputs with a fixed seed,
# and fuzz_summary's mutation run, each input in its own process
# (docs/fuzzing.md).
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DPAINSIM_TESTS=OFF -DPAINSIM_FUZZ=ON >/dev/null
cmake --build build-fuzz --parallel "$jobs"
cd build-fuzz
exec ctest --output-on-failure --verbose
