#!/usr/bin/env python3
"""The cost of each step of a job's way through the pool, in µs of the pool's thread per job

Run from the repository root:  python3 benchmarks/bench_steps.py [--jobs N] [--repeat R] [--old PATH]
(PYEXPOOL_CGROUP=off in the environment: without cgroups)

N `true` jobs run on ExecPool(2) (its console messages to /dev/null); the pool's functions on the
per-job path are wrapped by a timer that charges each call its own time, without the calls it makes
(exclusive time): the CPU time of the pool's thread (time.thread_time: what a loaded machine inflates
least) and the wall time (perf_counter: for the spawn, the time the pool's thread is suspended in vfork
until the child's exec). The wrappers' own cost (their clock reads: a few µs per call) is measured on
an empty function before the run and taken off each step: what a call is charged inside its wrapper,
and what its caller is charged for it. Medians of R runs, each in a fresh interpreter; with --old PATH
(a folder holding an older mpepool.py) the runs of both alternate and the table shows both.
"""
import argparse
import contextlib
import functools
import json
import os
import statistics
import subprocess
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
	"""Wrap the functions of _STEPS; stats: step -> [CPU s, wall s, calls, calls of wrapped callees]"""
	wrap = _wrapper(stats)
	for step, fns in _STEPS:
		for owner, name in fns:
			host = getattr(mpepool, owner) if owner else mpepool
			fn = host.__dict__.get(name) if owner else getattr(mpepool, name, None)
			if fn is None:
				continue
			if isinstance(fn, staticmethod):
				setattr(host, name, staticmethod(wrap(step, fn.__func__)))
			elif getattr(fn, '__wrapped__', None) is not None and name in ('_step', '_running'):
				setattr(host, name, contextlib.contextmanager(wrap(step, fn.__wrapped__)))
			else:
				setattr(host, name, wrap(step, fn))


def _wrapper(stats):
	"""A function wrapping another to charge its exclusive time to a step of stats"""
	stack = [[0., 0., 0]]  # The (CPU, wall) time spent in callees of the current frame and their number, per level
	cpuclock, wallclock = time.thread_time, time.perf_counter

	def wrap(step, fn):
		rec = stats.setdefault(step, [0., 0., 0, 0])  # Exclusive CPU, wall seconds; calls; calls of wrapped callees

		@functools.wraps(fn)
		def timed(*args, **kwargs):
			stack.append([0., 0., 0])
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
				rec[3] += inner[2]
				stack[-1][0] += dc
				stack[-1][1] += dw
				stack[-1][2] += 1
		return timed
	return wrap


def _calibrate(wrap, stats, n=20000):
	"""(CPU, wall) seconds that a wrapped call is charged inside its wrapper, and those its caller is charged
	for it: an empty function called n times by a wrapped one"""
	def empty():
		pass

	inner = wrap('calibration: inner', empty)

	def outer():
		for _ in range(n):
			inner()
	wrap('calibration: outer', outer)()
	# The outer's loop itself, unwrapped
	c0, w0 = time.thread_time(), time.perf_counter()
	for _ in range(n):
		empty()
	loop = ((time.thread_time() - c0) / n, (time.perf_counter() - w0) / n)
	own = stats.pop('calibration: inner')
	out = stats.pop('calibration: outer')
	return ((own[0] / n, own[1] / n), (out[0] / n - loop[0], out[1] / n - loop[1]))

def _run(njobs, root):
	sys.path.insert(0, root)
	import mpepool
	stats = {}
	cost = _calibrate(_wrapper(stats), stats)
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
	(incpu, inwall), (outcpu, outwall) = cost
	return launcher, wall, cpu, {step: ((cpu - calls * incpu - inner * outcpu) / njobs * 1e6
		, (wall - calls * inwall - inner * outwall) / njobs * 1e6, calls / njobs)
		for step, (cpu, wall, calls, inner) in stats.items()}, [c * 1e6 for c in cost[0] + cost[1]]


def main():
	parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
	parser.add_argument('--jobs', type=int, default=2000)
	parser.add_argument('--repeat', type=int, default=3)
	parser.add_argument('--old', metavar='PATH', help='a folder with an older mpepool.py, alternated with this one')
	parser.add_argument('--child', metavar='ROOT', help=argparse.SUPPRESS)
	opts = parser.parse_args()
	if opts.child:
		sys.stdout = open(os.devnull, 'w')  # The pool's messages go where a user's `> /dev/null` sends them
		res = _run(opts.jobs, opts.child)
		sys.stderr.write(json.dumps(res) + '\n')
		return 0
	roots = ([os.path.abspath(opts.old)] if opts.old else []) + [_ROOT]
	runs = {root: [] for root in roots}
	env = dict(os.environ)
	for name in ('PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED'):  # As a user runs it: see bench_core.py
		env.pop(name, None)
	for _ in range(opts.repeat):
		for root in roots:
			out = subprocess.run((sys.executable, os.path.abspath(__file__), '--child', root, '--jobs', str(opts.jobs))
				, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True, env=env).stderr.decode().strip().split('\n')[-1]
			runs[root].append(json.loads(out))
	print('{} `true` jobs, ExecPool(2), {}, PYEXPOOL_CGROUP={}, load average {}; medians of {} runs{}'.format(opts.jobs
		, runs[_ROOT][0][0], os.environ.get('PYEXPOOL_CGROUP', '(unset)'), ' '.join('{:.2f}'.format(v)
		for v in os.getloadavg()), opts.repeat, ', alternated with {}'.format(opts.old) if opts.old else ''))
	names = ['before', 'now'] if opts.old else ['now']
	print('| step | {} | calls per job |'.format(' | '.join('{} CPU / wall µs per job'.format(name) for name in names)))
	print('|---|{}---|'.format('---|' * len(names)))
	med = statistics.median
	totals = {root: [0., 0.] for root in roots}
	for step, fns in _STEPS + (('the steps together (without the wait)', ()),):
		cells = []
		for root in roots:
			if not fns:
				cpu, wall = totals[root]
			else:
				vals = [run[3].get(step, (0., 0., 0.)) for run in runs[root]]
				cpu, wall = med(v[0] for v in vals), med(v[1] for v in vals)
				if step != 'wait for events (idle)':
					totals[root][0] += cpu
					totals[root][1] += wall
			cells.append('{:.1f} / {:.1f}'.format(cpu, wall))
		calls = '{:.2f}'.format(med(run[3].get(step, (0., 0., 0.))[2] for run in runs[_ROOT])) if fns else ''
		print('| {} | {} | {} |'.format(step, ' | '.join(cells), calls))
	print('| the pool\'s thread in all (its loop and the wrappers included) | {} | |'.format(' | '.join(
		'{:.1f} / {:.1f}'.format(med(run[2] for run in runs[root]) / opts.jobs * 1e6
		, med(run[1] for run in runs[root]) / opts.jobs * 1e6) for root in roots)))
	print('rate {} jobs/s; a wrapped call costs {:.2f} / {:.2f} µs (CPU / wall) inside its wrapper and {:.2f} /'
		' {:.2f} µs to its caller, taken off'.format(' / '.join('{:.0f}'.format(opts.jobs / med(run[1] for run in runs[root]))
		for root in roots), *runs[_ROOT][0][4]))
	return 0


if __name__ == '__main__':
	sys.exit(main())
