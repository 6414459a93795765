"""cinegrade's command line (click).

Every command runs its shot work in a pool of worker processes, one per core; a BLAS library
that also starts a thread per core in each of them oversubscribes the machine (measured: the
drift fit's small SVDs, 36 000 × 6, took 27–35 ms each with OpenBLAS's default threads on two
cores against 2 ms with one). So the command line asks numerical libraries for one thread per
process, unless the user's environment says otherwise; it must be set before NumPy loads.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
