#!/usr/bin/env python3
"""Jobs on Slurm through the pool (SlurmLauncher) against bare srun calls, on the test cluster, in one run.

1. Throughput: N `true` jobs through the pool, through a bash loop of bare `srun` calls and through GNU
   parallel driving `srun`, all at the same concurrency (-j), the same srun request (-n1 -N1), best of
   --repeat runs. The pool's time is to the exit of the last srun (its slots); the time to the end of
   join() adds the wait for the last jobs' accounting, reported apart.
2. The next job's start after a slot frees (srun exit -> next srun spawn), in the throughput runs.
3. The delay from a job's end (srun exit) to its onfinish: with accounting (sacct figures awaited) and
   without (the path of a cluster without accounting storage: the figures are not awaited).
4. From a timeout to the job's death (the pool's timer -> scancel -> srun exits).
5. The controller calls (squeue, sacct, scancel) per job and per second.

A benchmark, not a test: it asserts nothing and prints the targets. Needs a cluster
(.ci/slurm-cluster start; SLURM_CONF is taken from there unless set).

Usage: python benchmarks/bench_slurm.py [--jobs-count 200] [-j 4] [--repeat 2]
"""
import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import mpepool  # noqa: E402
from mpepool import ExecPool, Job, SlurmLauncher  # noqa: E402

TESTCONF = os.path.join(os.environ.get('PYEXPOOL_SLURM_BASE', '/tmp/pyexpool-slurm'), 'etc', 'slurm.conf')


class TimedLauncher(SlurmLauncher):
	"""SlurmLauncher that notes when each srun was spawned and exited; accounting=False skips the figures"""

	def __init__(self, accounting=True):
		super().__init__()
		self.spawns = []
		self.exits = {}
		if not accounting:
			self._acctoff = 'not awaited by the benchmark'

	def spawn(self, job, args, kwargs, cpus):
		proc = super().spawn(job, args, kwargs, cpus)
		self.spawns.append(time.perf_counter())
		return proc

	def reaped(self, job, status, rusage):
		self.exits[job] = time.perf_counter()
		return super().reaped(job, status, rusage)


def poolRun(njobs, wksnum, accounting=True, args=('true',), timeout=0):
	"""Run njobs jobs through a pool: (launcher, seconds to the last srun exit, seconds to join's end,
	{job: onfinish perf_counter})"""
	launcher = TimedLauncher(accounting)
	finished = {}
	with contextlib.redirect_stdout(io.StringIO()):
		pool = ExecPool(wksnum, launcher=launcher)
		t0 = time.perf_counter()
		for i in range(njobs):
			pool.execute(Job('b{}'.format(i), args=args, timeout=timeout, stderr=subprocess.DEVNULL
				, onfinish=lambda job: finished.__setitem__(job, time.perf_counter())))
		pool.join()
		tjoin = time.perf_counter() - t0
		pool.terminate()
	return launcher, max(launcher.exits.values()) - t0, tjoin, finished


def shellRun(njobs, wksnum):
	"""Seconds of a bash loop keeping wksnum bare `srun true` calls in flight"""
	script = ('for i in $(seq {n}); do while (( $(jobs -rp | wc -l) >= {j} )); do wait -n; done;'
		' srun -n1 -N1 true 2>/dev/null & done; wait').format(n=njobs, j=wksnum)
	t0 = time.perf_counter()
	subprocess.run(['bash', '-c', script], check=True)
	return time.perf_counter() - t0


def parallelRun(njobs, wksnum, gnu):
	"""Seconds of GNU parallel running njobs `srun true` at wksnum at once"""
	t0 = time.perf_counter()
	subprocess.run([gnu, '-j', str(wksnum), 'srun -n1 -N1 true 2>/dev/null', ':::'] + [str(i) for i in range(njobs)]
		, check=True, stdout=subprocess.DEVNULL)
	return time.perf_counter() - t0


def startGaps(launcher, wksnum):
	"""Seconds from each srun exit to the next spawn, for the spawns after the first wksnum"""
	exits = sorted(launcher.exits.values())
	gaps = []
	for tspawn in sorted(launcher.spawns)[wksnum:]:
		before = [tex for tex in exits if tex <= tspawn]
		if before:
			gaps.append(tspawn - before[-1])
	return gaps


def ms(values):
	"""'median / max ms' of seconds"""
	return '{:.0f} / {:.0f} ms'.format(statistics.median(values) * 1000, max(values) * 1000) if values else '-'


def main():
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--jobs-count', type=int, default=200, help='jobs per throughput run (default 200)')
	parser.add_argument('-j', type=int, default=4, help='jobs in flight, all three ways (default 4)')
	parser.add_argument('--repeat', type=int, default=2, help='throughput runs of each way, the best counts')
	opts = parser.parse_args()
	if not os.environ.get('SLURM_CONF') and os.path.exists(TESTCONF):
		os.environ['SLURM_CONF'] = TESTCONF
	if shutil.which('srun') is None:
		sys.exit('srun is not on PATH: install slurm-wlm and start a cluster (.ci/slurm-cluster start)')
	gnu = shutil.which('parallel')
	n, j = opts.jobs_count, opts.j
	print('{} `true` jobs, {} in flight, best of {}; SLURM_CONF={}'.format(n, j, opts.repeat, os.environ.get('SLURM_CONF')))

	best = {}
	gaps = []
	launcher = tjoin = None
	for _ in range(opts.repeat):
		lau, tslots, tj, _ = poolRun(n, j)
		if 'pool' not in best or tslots < best['pool']:
			best['pool'], tjoin, launcher = tslots, tj, lau
		gaps.extend(startGaps(lau, j))
		best['srun loop'] = min(best.get('srun loop', float('inf')), shellRun(n, j))
		if gnu:
			best['GNU parallel'] = min(best.get('GNU parallel', float('inf')), parallelRun(n, j, gnu))
	print('\n1. Throughput (jobs/s, to the last srun exit)')
	for name, secs in best.items():
		print('   {:<13} {:7.1f} jobs/s  ({:.2f} s)'.format(name, n / secs, secs))
	print('   pool / srun loop: {:.2f} (target >= 0.95)'.format(best['srun loop'] / best['pool']))
	if gnu:
		print('   pool / GNU parallel: {:.2f}'.format(best['GNU parallel'] / best['pool']))
	print('   pool to the end of join(): {:.2f} s (the last jobs wait for their accounting)'.format(tjoin))
	print('\n2. Next srun spawned after a slot frees (median / max): {} (target <= 50 ms)'.format(ms(gaps)))

	calls = sum(launcher.calls.values())
	print('\n5. Controller calls: {} for {} jobs = {:.3f} per job, {:.2f} per second ({}) (target <= 2/s)'.format(
		calls, n, calls / n, calls / tjoin, dict(launcher.calls)))

	print('\n3. srun exit -> onfinish (median / max), 20 jobs of 1 s:')
	for accounting in (True, False):
		lau, _, _, finished = poolRun(20, j, accounting, args=('sleep', '1'))
		delays = [finished[job] - lau.exits[job] for job in finished]
		print('   {:<40} {}'.format('with accounting (sacct figures awaited)' if accounting
			else 'without (figures not awaited)', ms(delays)))
	lau, _, _, finished = poolRun(8, j, True, args=('true',))
	print('   {:<40} {}'.format('with accounting, `true` (sacct lags most)', ms([finished[job] - lau.exits[job]
		for job in finished])))

	print('\n4. Timeout -> srun exit (median / max), {} jobs `sleep 60` with timeout 1 s:'.format(j))
	lau, _, _, finished = poolRun(j, j, True, args=('sleep', '60'), timeout=1)
	deaths = [lau.exits[job] - (job._slurmrun if job._slurmrun is not None else job.tstart) - 1 for job in finished]
	print('   {} (target <= 1 s + KillWait)'.format(ms(deaths)))


if __name__ == '__main__':
	main()
