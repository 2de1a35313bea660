#!/usr/bin/env python3
"""How much CPU per job a pool may spend and still meet bench_core's throughput targets on this machine

Run from the repository root:  python3 benchmarks/bench_bound.py [--jobs N] [--rounds R] [--busy US,US,...]
	[--cgroups] [--sleep S]

A minimal single-threaded pool loop (no pyexpool: os.posix_spawn of `true` in a session of its own, its exit
seen through a pidfd in epoll, os.wait4, 2 slots) is run with an added busy loop of B µs of the loop thread's
CPU per job (B from --busy), side by side with `xargs -P 2 -n 1 true`, `ThreadPoolExecutor(2)` +
`subprocess.run` and pyexpool itself (`ExecPool(2)`, default launcher and cgroups off), each as a whole
command (the interpreter's start included, as in bench_core), the rounds interleaved. The loop with B = 0 is
the fastest a pool of one Python thread reaches here; the rates at growing B tell which CPU per job of the
pool's own meets `>= 1.0 x xargs` (bench_core's target with a cgroup per job) and `>= 1.15 x xargs` (cgroups
off). Each command's CPU per job (its own process, from its rusage) is printed beside its rate.

The same loop with only the system calls of pyexpool's guarantees added, no other Python ("guarded"): per
job the environment copied with a job marker, two guardian records written to a pipe (the record of the
job's process group, then its removal), its process group killed after its exit, the processes created
since its start looked up for its marker (a descendant that left its group); with --cgroups also what a
cgroup per job costs (cgroup v1, as pyexpool does it: the loop's thread enters the slot's memory, cpuacct
and freezer cgroups around the spawn and goes back, the peak reset before, then the OOM count, CPU total
and split, peak and usage read through kept descriptors, the process list opened anew). What the guarded
loops reach is the most a pool of one Python thread with those guarantees can reach here, whatever else it
does.

With --sleep S every job is `sleep S` instead of `true` (bench_core's short jobs: 200 `sleep 0.01`): the rate
is then bound by the time from a job's exit to the next start, not by the CPU. As bench_core measures it, each
Python command times itself from its first start to its last job's end (the interpreter's start left out)
against xargs' whole command, and the table gives that wall time and its ratio to xargs' (bench_core's
target: <= 1.0).

A benchmark, not a test: it prints figures and exits 0.
"""
import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TRUE = '/usr/bin/true' if os.path.exists('/usr/bin/true') else '/bin/true'  # The program of every job
_JOBVAR = 'PYEXPOOL_BOUND_JOB'  # Environment variable of the children: the job's argument list (JSON), else true


def _jobArgs():
	"""The argument list of every job: `true`, or `sleep S` with --sleep (the program's absolute path first)"""
	return json.loads(os.environ.get(_JOBVAR) or json.dumps([_TRUE]))


def _drive(count, spawn, ended):
	"""The loop both minimal pools share: count jobs, 2 at a time, each job's exit seen through a pidfd in
	epoll. spawn(seq) starts job seq and returns (its pid, what ended() needs of it); ended(pid, data,
	running) runs once its process exited (running: pidfd -> (pid, data) of the jobs still running).
	Returns (CPU s, wall s) of this process from the first start to the end"""
	import select
	poll = select.epoll()
	running = {}
	started = 0

	def start():
		pid, data = spawn(started)
		fd = os.pidfd_open(pid)
		poll.register(fd, select.EPOLLIN)
		running[fd] = pid, data

	cpu0, wall0 = time.process_time(), time.perf_counter()
	for _ in range(2):
		start()
		started += 1
	while running:
		for fd, _ in poll.poll():
			pid, data = running.pop(fd)
			poll.unregister(fd)
			os.close(fd)
			ended(pid, data, running)
			if started < count:
				start()
				started += 1
	return time.process_time() - cpu0, time.perf_counter() - wall0


def _report(outpath, cpu, wall):
	"""Write a child's own figures: its CPU and wall seconds"""
	with open(outpath, 'w') as fout:
		json.dump({'cpu': cpu, 'wall': wall}, fout)


def _loopMain(count, busy, outpath):
	"""The minimal loop: count jobs on 2 slots, busy seconds of this thread's CPU added per job"""
	argv = _jobArgs()
	env = dict(os.environb)

	def spawn(seq):
		return os.posix_spawn(argv[0], argv, env, setsid=True), None

	def ended(pid, data, running):
		os.wait4(pid, 0)
		if busy:
			until = time.thread_time() + busy
			while time.thread_time() < until:
				pass

	_report(outpath, *_drive(count, spawn, ended))


def _guardedMain(count, cgroups, outpath):
	"""The minimal loop with the system calls of pyexpool's guarantees (and of a cgroup per job: v1)"""
	import signal
	argv = _jobArgs()
	base = dict(os.environb)
	# The guardian reads its records in batches, as pyexpool's does (a reader woken by every write would
	# cost each write a wake-up: ~20 µs here)
	guardian = subprocess.Popen((sys.executable, '-S', '-c', 'import os, time\nwhile os.read(0, 1 << 20):\n'
		'\ttime.sleep(0.01)'), stdin=subprocess.PIPE)
	guardfd = guardian.stdin.fileno()
	lastpid = os.open('/proc/sys/kernel/ns_last_pid', os.O_RDONLY)  # Read again at offset 0 for each job
	slots = [None, None]  # Slot -> its cgroup: (tasks descriptors, peak, the files read per job, its cgroup.procs)
	homes = []
	made = []
	if cgroups:
		sys.path.insert(0, _ROOT)
		import mpepool
		caps = mpepool._cgroupProbe()[0]
		hiers = [caps.memory, caps.cpu, caps.kill]
		for hier in hiers:
			homes.append(os.open(os.path.join(hier.own, 'tasks'), os.O_WRONLY))
		for slot in range(2):
			dirs = []
			for hier in hiers:
				folder = os.path.join(hier.base, 'pyexpool-bound-{}-{}'.format(os.getpid(), slot))
				os.mkdir(folder)
				made.append(folder)
				dirs.append(folder)
			mem, cpu, frz = dirs
			slots[slot] = ([os.open(os.path.join(folder, 'tasks'), os.O_WRONLY) for folder in dirs]
				, os.open(os.path.join(mem, 'memory.max_usage_in_bytes'), os.O_WRONLY)
				, [os.open(os.path.join(folder, name), os.O_RDONLY) for folder, name in ((mem, 'memory.oom_control')
				, (cpu, 'cpuacct.usage'), (cpu, 'cpuacct.usage_all'), (mem, 'memory.max_usage_in_bytes')
				, (mem, 'memory.usage_in_bytes'))], os.path.join(frz, 'cgroup.procs'))
	free = [0, 1]

	def spawn(seq):
		env = base.copy()
		env[b'PYEXPOOL_JOB'] = 'bound.{}.'.format(seq).encode()
		slot = free.pop()
		if cgroups:
			tasks, peak, _, _ = slots[slot]
			os.write(peak, b'0')
			for fd in tasks:
				os.write(fd, b'0')
			try:
				pid = os.posix_spawn(argv[0], argv, env, setsid=True)
			finally:
				for fd in homes:
					os.write(fd, b'0')
		else:
			pid = os.posix_spawn(argv[0], argv, env, setsid=True)
		os.write(guardfd, 'pgid {}\n'.format(pid).encode())
		return pid, (slot, seq)

	def ended(pid, data, running):
		slot, seq = data
		_, status, rusage = os.wait4(pid, 0)
		try:
			os.killpg(pid, signal.SIGKILL)
		except ProcessLookupError:
			pass
		last = int(os.pread(lastpid, 64, 0))
		marker = 'bound.{}.'.format(seq).encode()
		others = {other for other, _ in running.values()}
		for cand in range(pid + 1, last + 1):
			if cand not in others:
				try:
					with open('/proc/{}/environ'.format(cand), 'rb') as fenv:
						if marker in fenv.read():
							os.kill(cand, signal.SIGKILL)
				except OSError:
					pass
		if cgroups:
			figures = [os.pread(fd, 4096, 0) for fd in slots[slot][2]]
			int(figures[1])
			sum(int(row.split()[1]) for row in figures[2].splitlines()[1:])
			int(figures[3])
			int(figures[4])
			# Opened anew, as pyexpool does: a v1 cgroup.procs kept open serves a stale pid list for a second
			with open(slots[slot][3], 'rb') as fprocs:
				assert not fprocs.read()
		os.write(guardfd, 'unpgid {}\n'.format(pid).encode())
		free.append(slot)

	try:
		cpu, wall = _drive(count, spawn, ended)
	finally:
		guardian.stdin.close()
		guardian.wait()
		os.close(lastpid)
		for folder in made:
			os.rmdir(folder)
	_report(outpath, cpu, wall)


def _poolMain(count, outpath):
	"""pyexpool: count jobs on ExecPool(2)"""
	sys.path.insert(0, _ROOT)
	import mpepool
	pool = mpepool.ExecPool(2)
	jobs = [mpepool.Job('t{}'.format(i), args=_jobArgs()) for i in range(count)]
	cpu0, wall0 = time.process_time(), time.perf_counter()
	for job in jobs:
		pool.execute(job)
	pool.join()
	_report(outpath, time.process_time() - cpu0, time.perf_counter() - wall0)


def _threadsMain(count, outpath):
	"""ThreadPoolExecutor(2) + subprocess.run(job)"""
	import concurrent.futures
	argv = _jobArgs()
	cpu0, wall0 = time.process_time(), time.perf_counter()
	with concurrent.futures.ThreadPoolExecutor(2) as executor:
		list(executor.map(lambda i: subprocess.run(argv).returncode, range(count)))
	_report(outpath, time.process_time() - cpu0, time.perf_counter() - wall0)


def _env(**changes):
	"""This environment as a user's (no bytecode or buffering switches of a development session), changed"""
	env = {name: val for name, val in os.environ.items() if name not in ('PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED')}
	env.update(changes)
	return env


def _timed(cmd, env, outpath=None):
	"""(wall seconds, the command's own (CPU seconds, wall seconds) per its JSON, or None) of a command, output
	to /dev/null"""
	if outpath and os.path.exists(outpath):
		os.remove(outpath)
	tstart = time.perf_counter()
	subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
	wall = time.perf_counter() - tstart
	own = None
	if outpath:
		with open(outpath) as fin:
			res = json.load(fin)
		own = res['cpu'], res['wall']
	return wall, own


def main():
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--jobs', type=int, default=None, help='jobs per command (default 2000, with --sleep 200)')
	parser.add_argument('--rounds', type=int, default=3)
	parser.add_argument('--busy', default='0,50,100,150,200,300', help='µs of added CPU per job, comma-separated')
	parser.add_argument('--cgroups', action='store_true', help='also the guarded loop with a cgroup per job (v1, root)')
	parser.add_argument('--sleep', metavar='S', help='jobs `sleep S` instead of `true` (e.g. 0.01)')
	parser.add_argument('--child', nargs='+', help=argparse.SUPPRESS)
	args = parser.parse_args()
	if args.child:
		kind, count, outpath = args.child[0], int(args.child[1]), args.child[2]
		if kind == 'loop':
			_loopMain(count, float(args.child[3]) / 1e6, outpath)
		elif kind in ('guarded', 'guarded-cg'):
			_guardedMain(count, kind == 'guarded-cg', outpath)
		elif kind == 'pool':
			_poolMain(count, outpath)
		else:
			_threadsMain(count, outpath)
		return
	if args.jobs is None:
		args.jobs = 200 if args.sleep else 2000
	if args.sleep:
		float(args.sleep)  # A number, or a ValueError before anything runs
		job = [shutil.which('sleep'), args.sleep]
		word, xargs = '`sleep {}`'.format(args.sleep), 'xargs -P 2 -n 1 sleep'
		feed = 'yes {} | head -n {} | {}'.format(args.sleep, args.jobs, xargs)
	else:
		job, word, xargs = [_TRUE], '`true`', 'xargs -P 2 -n 1 true'
		feed = 'yes true | head -n {} | {}'.format(args.jobs, xargs)
	busies = [int(b) for b in args.busy.split(',')]
	tmp = tempfile.mkdtemp(prefix='bench-bound-')
	out = os.path.join(tmp, 'res.json')
	me = (sys.executable, os.path.abspath(__file__), '--child')
	env = functools.partial(_env, **{_JOBVAR: json.dumps(job)})
	cmds = [(xargs, ('sh', '-c', feed), env(), None)]
	cmds += [('loop, +{} µs per job'.format(b), me + ('loop', str(args.jobs), out, str(b)), env(), out) for b in busies]
	cmds += [('guarded loop', me + ('guarded', str(args.jobs), out), env(), out)]
	if args.cgroups:
		cmds += [('guarded loop, a cgroup per job', me + ('guarded-cg', str(args.jobs), out), env(), out)]
	cmds += [('ThreadPoolExecutor(2)', me + ('threads', str(args.jobs), out), env(), out)
		, ('pyexpool, default launcher', me + ('pool', str(args.jobs), out), env(), out)
		, ('pyexpool, cgroups off', me + ('pool', str(args.jobs), out), env(PYEXPOOL_CGROUP='off'), out)]
	walls = {name: [] for name, _, _, _ in cmds}  # Whole commands'; with --sleep the Python ones' own
	cpus = {name: [] for name, _, _, _ in cmds}
	ratios = {name: [] for name, _, _, _ in cmds}  # Rate / xargs' rate; with --sleep wall / xargs' wall
	for _ in range(args.rounds):
		for name, cmd, cmdenv, outpath in cmds:
			wall, own = _timed(cmd, cmdenv, outpath)
			if own is not None:
				cpus[name].append(own[0] / args.jobs)
				if args.sleep:
					wall = own[1]  # From its first start to its last job's end, as bench_core's
			walls[name].append(wall)
		for name in walls:
			ratios[name].append(walls[name][-1] / walls[xargs][-1] if args.sleep else walls[xargs][-1] / walls[name][-1])
	print('{} {} jobs, 2 at a time, {}; medians of {} interleaved rounds; load average {}'.format(args.jobs, word
		, 'the Python commands from their first start to their end, xargs whole' if args.sleep else 'whole commands'
		, args.rounds, ' '.join('{:.2f}'.format(x) for x in os.getloadavg())))
	if args.sleep:
		print('| command | wall | its own CPU per job | wall / xargs\' (per round: min..max) |')
	else:
		print('| command | jobs/s | its own CPU per job | rate / xargs (per round: min..max) |')
	print('|---|---|---|---|')
	for name, _, _, _ in cmds:
		wall = statistics.median(walls[name])
		figure = '{:.3f} s'.format(wall) if args.sleep else '{:.0f}'.format(args.jobs / wall)
		cpu = '{:.0f} µs'.format(statistics.median(cpus[name]) * 1e6) if cpus[name] else '–'
		print('| {} | {} | {} | {:.3f} ({:.3f}..{:.3f}) |'.format(name, figure, cpu, statistics.median(ratios[name])
			, min(ratios[name]), max(ratios[name])))


if __name__ == '__main__':
	main()
