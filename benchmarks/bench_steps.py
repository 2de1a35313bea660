#!/usr/bin/env python3
"""The cost of each step of a job's way through the pool, in µs of the pool's thread per job

Run from the repository root:  python3 benchmarks/bench_steps.py [--jobs N] [--repeat R] [--cgroups on|off]

N `true` jobs run on ExecPool(2) (its console messages to /dev/null); the pool's functions on the
per-job path are wrapped by a timer that charges each call its own time, without the calls it makes
(exclusive time): the CPU time of the pool's thread (time.thread_time: what a loaded machine inflates
least) and the wall time (perf_counter: for the spawn, the time the pool's thread is suspended in vfork
until the child's exec). The wrappers' own clock reads (~1 µs per wrapped call) are charged to the
callers, so the figures are upper bounds. Medians of R runs, each in a fresh interpreter.
"""
import argparse
import os
import statistics
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (step, the functions charged to it): (owner name in mpepool, attribute)
_STEPS = (
	('execute: checks, queue', (('ExecPool', 'execute'), ('ExecPool', '_execute'), ('ExecPool', '_enqueue')
		, ('_JobQueue', 'append'), ('_JobQueue', 'popleft'), ('ExecPool', '_startQueued'))),
	('start: run record, channels, slot', (('ExecPool', '_start'), ('ExecPool', '_takeSlot'), ('', '_openChannel')
		, ('ExecPool', '_watchMemory'), ('ExecPool', '_memoryAllows'), ('ExecPool', '_collect'))),
	('spawn: arguments, environment', (('ExecPool', '_spawn'), ('ExecPool', '_program'), ('', '_environ')
		, ('', '_markEnv'), ('LocalLauncher', 'spawn'), ('LocalLauncher', '_spawnGroup'), ('CgroupLauncher', 'spawn'))),
	('spawn: fork/exec (Popen)', (('', '_popen'),)),
	('placement: cgroup take, enter/leave', (('CgroupLauncher', '_take'), ('CgroupLauncher', '_spawnThread')
		, ('_JobCgroup', 'prepare'))),
	('watch: pidfd, selector, timeout', (('ExecPool', '_register'),)),
	('wait for events (idle)', (('ExecPool', '_waitEvents'),)),
	('reap: wait4, unwatch, slot', (('ExecPool', '_onEvents'), ('ExecPool', '_reap'), ('ExecPool', '_unwatch')
		, ('ExecPool', '_endRun'), ('ExecPool', '_finishRun'), ('ExecPool', '_noteDemand'))),
	('accounting, tree kill: launcher.reaped', (('LocalLauncher', 'reaped'), ('CgroupLauncher', 'reaped')
		, ('LocalLauncher', '_rusageFigures'), ('', '_markedProcesses'), ('', '_pidNames'), ('', '_signalGroup')
		, ('', '_signalPids'))),
	('accounting: cgroup figures', (('_JobCgroup', 'empty'), ('_JobCgroup', 'figures'), ('_JobCgroup', 'usage'))),
	('guardian records', (('', '_guard'), ('', '_unguard'))),
	('complete: callbacks, counters, JobInfo', (('ExecPool', '_complete'), ('Job', '_conclude'), ('Job', '_logPiped')
		, ('Job', '_removeEmptyOutputs'), ('Job', '_closePipes'), ('ExecPool', '_closeChannels'), ('JobInfo', '__init__'))),
	('reports: messages', (('', '_infomsg'), ('_MessageSink', 'write'))),
	('Web UI snapshot, step bookkeeping', (('ExecPool', '_publishUi'), ('ExecPool', '_act'), ('ExecPool', '_fireDeadlines')
		, ('ExecPool', '_step'), ('ExecPool', '_running'), ('ExecPool', '_endWork'), ('ExecPool', '_finishDueTasks'))),
)


def _install(mpepool, stats):
	"""Wrap the functions of _STEPS; stats: step -> [seconds, calls]"""
	import functools
	stack = [[0., 0.]]  # The (CPU, wall) time spent in callees of the current frame, per level
	cpuclock, wallclock = time.thread_time, time.perf_counter

	def wrap(step, fn):
		rec = stats.setdefault(step, [0., 0., 0])

		@functools.wraps(fn)
		def timed(*args, **kwargs):
			stack.append([0., 0.])
			c0, w0 = cpuclock(), wallclock()
			try:
				return fn(*args, **kwargs)
			finally:
				dw = wallclock() - w0
				dc = cpuclock() - c0
				inner = stack.pop()
				rec[0] += dc - inner[0]
				rec[1] += dw - inner[1]
				rec[2] += 1
				stack[-1][0] += dc
				stack[-1][1] += dw
		return timed

	for step, fns in _STEPS:
		for owner, name in fns:
			host = getattr(mpepool, owner) if owner else mpepool
			fn = host.__dict__.get(name) if owner else getattr(mpepool, name, None)
			if fn is None:
				continue
			if isinstance(fn, staticmethod):
				setattr(host, name, staticmethod(wrap(step, fn.__func__)))
			elif getattr(fn, '__wrapped__', None) is not None and name in ('_step', '_running'):
				setattr(host, name, __import__('contextlib').contextmanager(wrap(step, fn.__wrapped__)))
			else:
				setattr(host, name, wrap(step, fn))


def _run(njobs):
	sys.path.insert(0, _ROOT)
	import mpepool
	stats = {}
	_install(mpepool, stats)
	pool = mpepool.ExecPool(2)
	launcher = type(pool._launcher).__name__
	jobs = [mpepool.Job('t{}'.format(i), args=('true',)) for i in range(njobs)]
	c0 = time.thread_time()
	t0 = time.perf_counter()
	for job in jobs:
		pool.execute(job)
	pool.join()
	wall = time.perf_counter() - t0
	cpu = time.thread_time() - c0
	assert pool.jobsdone == njobs, pool.jobsdone
	return launcher, wall, cpu, {step: (cpu / njobs * 1e6, wall / njobs * 1e6, calls / njobs)
		for step, (cpu, wall, calls) in stats.items()}


def main():
	parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
	parser.add_argument('--jobs', type=int, default=2000)
	parser.add_argument('--repeat', type=int, default=3)
	parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
	opts = parser.parse_args()
	if opts.child:
		sys.stdout = open(os.devnull, 'w')  # The pool's messages go where a user's `> /dev/null` sends them
		import json
		res = _run(opts.jobs)
		sys.stderr.write(json.dumps(res) + '\n')
		return 0
	import json
	import subprocess
	runs = []
	for _ in range(opts.repeat):
		out = subprocess.run((sys.executable, os.path.abspath(__file__), '--child', '--jobs', str(opts.jobs))
			, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True).stderr.decode().strip().split('\n')[-1]
		runs.append(json.loads(out))
	launcher = runs[0][0]
	print('{} `true` jobs, ExecPool(2), {}, PYEXPOOL_CGROUP={}, load average {}; medians of {} runs'.format(opts.jobs
		, launcher, os.environ.get('PYEXPOOL_CGROUP', '(unset)'), ' '.join('{:.2f}'.format(v) for v in os.getloadavg())
		, len(runs)))
	print('| step | CPU µs per job | wall µs per job | calls per job |')
	print('|---|---|---|---|')
	steps = [step for step, _ in _STEPS]
	total = [0., 0.]
	for step in steps:
		vals = [run[3].get(step, (0., 0., 0.)) for run in runs]
		cpu, wall = statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals)
		if step != 'wait for events (idle)':
			total[0] += cpu
			total[1] += wall
		print('| {} | {:.1f} | {:.1f} | {:.2f} |'.format(step, cpu, wall, statistics.median(v[2] for v in vals)))
	cpu = statistics.median(run[2] for run in runs) / opts.jobs * 1e6
	wall = statistics.median(run[1] for run in runs) / opts.jobs * 1e6
	print('| the steps together (without the wait) | {:.1f} | {:.1f} | |'.format(*total))
	print('| the pool\'s thread in all (its loop included) | {:.1f} | {:.1f} | |'.format(cpu, wall))
	print('rate {:.0f} jobs/s'.format(1e6 / wall))
	return 0


if __name__ == '__main__':
	sys.exit(main())
