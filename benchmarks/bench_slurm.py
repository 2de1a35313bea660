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

With --pernode, the per-node mode (SlurmLauncher(pernode=True): one agent per node of an allocation)
instead, side by side in one run:
P1. Throughput: --pernode-jobs (5,000) `true` jobs per node against the local pool on this machine (the same
    wksnum, its default launcher) and against an srun per job (--srun-jobs of them, as a rate); --rounds (3)
    interleaved rounds, the medians of the rounds' ratios reported with their spread.
P2. Slurm RPCs for them (sdiag's counts before and after, the allocation and the steps included; the
    cluster's other users are counted too), per node.
P3. A job's end (its last instruction, CLOCK_MONOTONIC, shared by the processes of this machine) to its
    onfinish, per node and locally (median / max).
P4. A timeout's lateness: the job's end seen (onfinish) after tstart + timeout.
P5. The pool's and each agent's memory (RSS MB) after 5,000, 10,000 and 20,000 jobs (--memory-jobs), and the
    pool's Python objects (sys.getallocatedblocks()); run in batches of 1,000 jobs, each joined, so that no
    job of the caller is queued at a measurement.

A benchmark, not a test: it asserts nothing and prints the targets. Needs a cluster
(.ci/slurm-cluster start; SLURM_CONF is taken from there unless set).

Usage: python benchmarks/bench_slurm.py [--jobs-count 200] [-j 4] [--repeat 2]
       python benchmarks/bench_slurm.py --pernode [--nodes 3] [--pernode-jobs 5000] [--srun-jobs 200] [--rounds 3]
"""
import argparse
import collections
import contextlib
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

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


def sdiagCount():
	"""RPCs the controller served so far by message type (sdiag's counts), None when unknown"""
	res = subprocess.run(['sdiag'], capture_output=True, text=True)
	part = res.stdout.split('by message type', 1)[-1].split('by user', 1)[0]
	counts = collections.Counter({name: int(count) for name, count in re.findall(r'(\w+)\s+\(\s*\d+\)\s+count:(\d+)', part)})
	return counts if res.returncode == 0 and counts else None


def rssMb(pid='self'):
	"""Resident memory (MB) of a process"""
	with open('/proc/{}/status'.format(pid)) as fstat:
		for line in fstat:
			if line.startswith('VmRSS:'):
				return int(line.split()[1]) / 1024.
	return None


def rateRun(pool, njobs, args=('true',)):
	"""Jobs per second of njobs jobs through pool (execute() to join())"""
	done = [0]

	def finished(job):
		done[0] += 1
	t0 = time.perf_counter()
	for i in range(njobs):
		pool.execute(Job('b{}'.format(i), args=args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
			, onfinish=finished))
	pool.join()
	return njobs / (time.perf_counter() - t0)


# A job that prints CLOCK_MONOTONIC (time.perf_counter() of every process here) as its last instruction
# (then it exits at once: the interpreter's own shutdown is not the pool's delay)
ENDSTAMP = (sys.executable, '-c', 'import os, sys, time; time.sleep(0.05); sys.stdout.write(repr(time.perf_counter()));'
	' sys.stdout.flush(); os._exit(0)')


def endToFinish(pool, njobs):
	"""Seconds from each job's last instruction to its onfinish"""
	delays = []
	for i in range(njobs):
		pool.execute(Job('e{}'.format(i), args=ENDSTAMP, stdout=subprocess.PIPE
			, onfinish=lambda job: delays.append(time.perf_counter() - float(job.pipedout))))
	pool.join()
	return delays


def lateness(pool, njobs, timeout=0.5):
	"""Seconds from each job's tstart + timeout to its onfinish (jobs `sleep 60` stopped on their timeout)"""
	late = []
	for i in range(njobs):
		pool.execute(Job('t{}'.format(i), args=('sleep', '60'), timeout=timeout
			, onfinish=lambda job: late.append(time.perf_counter() - job.tstart - timeout)))
	pool.join()
	return late


def pernode(opts):
	"""The per-node mode against the local pool and an srun per job"""
	nodes = opts.nodes
	wksnum = 2 * nodes
	n = opts.pernode_jobs
	print('Per-node mode: {} nodes, wksnum {}, {} `true` jobs; SLURM_CONF={}'.format(nodes, wksnum, n
		, os.environ.get('SLURM_CONF')))
	rates, lrates, srates = [], [], []
	for rnd in range(opts.rounds):  # Interleaved: a load change hits the three ways alike
		first = not rnd  # The setup time, the RPCs and the local delays are the first round's: the others ask the same
		with contextlib.redirect_stdout(io.StringIO()):
			rpc0 = sdiagCount() if first else None
			tstart = time.perf_counter()
			pool = ExecPool(wksnum, launcher=SlurmLauncher(pernode=True, nodes=nodes))
			if first:
				tsetup = time.perf_counter() - tstart
				launcher = pool._launcher
			rates.append(rateRun(pool, n))
			pool.terminate()
			if first:
				rpc1 = sdiagCount()
				rpcs = rpc1 - rpc0 if rpc0 is not None and rpc1 is not None else None
			local = ExecPool(wksnum)
			lrates.append(rateRun(local, n))
			if first:
				localdelays = endToFinish(local, 60)
				locallate = lateness(local, wksnum)
			local.terminate()
			srates.append(opts.srun_jobs / poolRun(opts.srun_jobs, wksnum, accounting=False)[1])
	tonode = [rate / srate for rate, srate in zip(rates, srates)]
	tolocal = [rate / lrate for rate, lrate in zip(rates, lrates)]
	rate, lrate, srate = (statistics.median(figs) for figs in (rates, lrates, srates))
	print('\nP1. Throughput, medians of {} interleaved rounds: per node {:.0f} jobs/s, local {:.0f} jobs/s, an srun per'
		' job {:.1f} jobs/s ({} jobs)'.format(opts.rounds, rate, lrate, srate, opts.srun_jobs))
	print('    per round: per node {}; local {}; an srun per job {}'.format(*(' '.join('{:.{}f}'.format(fig, prec)
		for fig in figs) for figs, prec in ((rates, 0), (lrates, 0), (srates, 1)))))
	print('    per node / local: {:.2f} [{:.2f}..{:.2f}] (target >= 0.5); per node / srun per job: {:.1f} [{:.1f}..{:.1f}]'
		' (target >= 30; the medians of the rounds\' ratios [min..max])'.format(statistics.median(tolocal), min(tolocal)
		, max(tolocal), statistics.median(tonode), min(tonode), max(tonode)))
	print('    (the allocation and the agents took {:.2f} s before the first job)'.format(tsetup))
	total = sum(rpcs.values()) if rpcs is not None else None
	print('\nP2. Slurm RPCs: {} for {} jobs on {} nodes = {} per node (target <= 10; the cluster\'s other users'
		' count too: {}); the pool ran {}'.format(total, n, nodes, '{:.1f}'.format(total / nodes) if total is not None
		else '-', dict(rpcs.most_common(6)) if rpcs else '-', dict(launcher.calls)))

	# The pool's messages go to /dev/null, as a user's `> /dev/null`: kept in a StringIO, they would be in P5's figures
	with open(os.devnull, 'w') as devnull, contextlib.redirect_stdout(devnull):
		pool = ExecPool(wksnum, launcher=SlurmLauncher(pernode=True, nodes=nodes))
		delays = endToFinish(pool, 60)
		late = lateness(pool, wksnum)
		# P5: memory after 5,000, 10,000 (the pool's history of finished jobs is full) and 20,000 jobs, run in
		# batches of 1,000 (execute(), join()): then the caller's queued jobs are not in the pool's figures
		mem = {}
		agents = {agent.node: agent.pid for agent in pool._launcher._agents}  # The test cluster: on this machine
		marks = sorted({0, min(5000, opts.memory_jobs), min(10000, opts.memory_jobs), opts.memory_jobs})
		done = 0
		while True:
			if done in marks:
				mem[done] = [rssMb()] + [rssMb(pid) for pid in agents.values()] + [sys.getallocatedblocks()]
			if done >= opts.memory_jobs:
				break
			batch = min(1000, opts.memory_jobs - done)
			rateRun(pool, batch)
			done += batch
		pool.terminate()
	print('\nP3. Job end -> onfinish (median / max): per node {}, local {} (target <= 50 ms median)'.format(
		ms(delays), ms(localdelays)))
	print('\nP4. Timeout -> end seen (median / max), {} jobs, timeout 0.5 s: per node {}, local {} (target <= 50 ms)'.format(
		wksnum, ms(late), ms(locallate)))
	print('\nP5. RSS MB (the pool, then each agent: {}), and the pool\'s Python objects (sys.getallocatedblocks()):'.format(
		', '.join(agents)))
	for done, figures in sorted(mem.items()):
		print('    after {:>6} jobs: {}; {:.0f}k objects'.format(done, ', '.join('{:.1f}'.format(fig) for fig in figures[:-1])
			, figures[-1] / 1000))


def main():
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--jobs-count', type=int, default=200, help='jobs per throughput run (default 200)')
	parser.add_argument('-j', type=int, default=4, help='jobs in flight, all three ways (default 4)')
	parser.add_argument('--repeat', type=int, default=2, help='throughput runs of each way, the best counts')
	parser.add_argument('--pernode', action='store_true', help='benchmark the per-node mode instead')
	parser.add_argument('--nodes', type=int, default=3, help='nodes of the per-node mode (default 3)')
	parser.add_argument('--pernode-jobs', type=int, default=5000, help='`true` jobs of the per-node throughput')
	parser.add_argument('--srun-jobs', type=int, default=200, help='`true` jobs of the srun per job rate')
	parser.add_argument('--rounds', type=int, default=3, help='interleaved rounds of the per-node throughput (P1)')
	parser.add_argument('--memory-jobs', type=int, default=20000, help='jobs of the memory figures')
	opts = parser.parse_args()
	if not os.environ.get('SLURM_CONF') and os.path.exists(TESTCONF):
		os.environ['SLURM_CONF'] = TESTCONF
	if shutil.which('srun') is None:
		sys.exit('srun is not on PATH: install slurm-wlm and start a cluster (.ci/slurm-cluster start)')
	if opts.pernode:
		pernode(opts)
		return
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
