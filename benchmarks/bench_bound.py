#!/usr/bin/env python3
"""How much CPU per job a pool may spend and still meet bench_core's throughput targets on this machine

Run from the repository root:  python3 benchmarks/bench_bound.py [--jobs N] [--rounds R] [--busy US,US,...]
	[--cgroups]

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
and split, peak, usage and process list read through kept descriptors). What the guarded loops reach is
the most a pool of one Python thread with those guarantees can reach here, whatever else it does.

A benchmark, not a test: it prints figures and exits 0.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TRUE = '/usr/bin/true' if os.path.exists('/usr/bin/true') else '/bin/true'  # The program of every job


def _loopMain(count, busy, outpath):
	"""The minimal loop: count `true` jobs on 2 slots, busy seconds of this thread's CPU added per job"""
	import select
	env = dict(os.environb)
	poll = select.epoll()
	running = {}
	started = 0

	def spawn():
		pid = os.posix_spawn(_TRUE, [_TRUE], env, setsid=True)
		fd = os.pidfd_open(pid)
		poll.register(fd, select.EPOLLIN)
		running[fd] = pid

	cpu0 = time.process_time()
	for _ in range(2):
		spawn()
		started += 1
	while running:
		for fd, _ in poll.poll():
			pid = running.pop(fd)
			poll.unregister(fd)
			os.close(fd)
			os.wait4(pid, 0)
			if busy:
				until = time.thread_time() + busy
				while time.thread_time() < until:
					pass
			if started < count:
				spawn()
				started += 1
	with open(outpath, 'w') as fout:
		json.dump({'cpu': time.process_time() - cpu0}, fout)


def _guardedMain(count, cgroups, outpath):
	"""The minimal loop with the system calls of pyexpool's guarantees (and of a cgroup per job: v1)"""
	import select
	import signal
	base = dict(os.environb)
	poll = select.epoll()
	running = {}
	started = 0
	# The guardian reads its records in batches, as pyexpool's does (a reader woken by every write would
	# cost each write a wake-up: ~20 µs here)
	guardian = subprocess.Popen((sys.executable, '-S', '-c', 'import os, time\nwhile os.read(0, 1 << 20):\n'
		'\ttime.sleep(0.01)'), stdin=subprocess.PIPE)
	guardfd = guardian.stdin.fileno()
	lastpid = os.open('/proc/sys/kernel/ns_last_pid', os.O_RDONLY)  # Read again at offset 0 for each job
	slots = [None, None]  # Slot -> its cgroup: (tasks descriptors, peak, the files read per job)
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
				, (mem, 'memory.usage_in_bytes'), (frz, 'cgroup.procs'))])
	free = [0, 1]

	def spawn(seq):
		env = base.copy()
		env[b'PYEXPOOL_JOB'] = 'bound.{}.'.format(seq).encode()
		slot = free.pop()
		if cgroups:
			tasks, peak, _ = slots[slot]
			os.write(peak, b'0')
			for fd in tasks:
				os.write(fd, b'0')
			try:
				pid = os.posix_spawn(_TRUE, [_TRUE], env, setsid=True)
			finally:
				for fd in homes:
					os.write(fd, b'0')
		else:
			pid = os.posix_spawn(_TRUE, [_TRUE], env, setsid=True)
		os.write(guardfd, 'pgid {}\n'.format(pid).encode())
		fd = os.pidfd_open(pid)
		poll.register(fd, select.EPOLLIN)
		running[fd] = (pid, slot, seq)

	def ended(pid, slot, seq):
		_, status, rusage = os.wait4(pid, 0)
		try:
			os.killpg(pid, signal.SIGKILL)
		except ProcessLookupError:
			pass
		last = int(os.pread(lastpid, 64, 0))
		marker = 'bound.{}.'.format(seq).encode()
		others = {other for other, _, _ in running.values()}
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
			assert not figures[5]
		os.write(guardfd, 'unpgid {}\n'.format(pid).encode())
		free.append(slot)

	cpu0 = time.process_time()
	try:
		for _ in range(2):
			spawn(started)
			started += 1
		while running:
			for fd, _ in poll.poll():
				pid, slot, seq = running.pop(fd)
				poll.unregister(fd)
				os.close(fd)
				ended(pid, slot, seq)
				if started < count:
					spawn(started)
					started += 1
		cpu = time.process_time() - cpu0
	finally:
		guardian.stdin.close()
		guardian.wait()
		os.close(lastpid)
		for folder in made:
			os.rmdir(folder)
	with open(outpath, 'w') as fout:
		json.dump({'cpu': cpu}, fout)


def _poolMain(count, outpath):
	"""pyexpool: count `true` jobs on ExecPool(2)"""
	sys.path.insert(0, _ROOT)
	import mpepool
	pool = mpepool.ExecPool(2)
	jobs = [mpepool.Job('t{}'.format(i), args=('true',)) for i in range(count)]
	cpu0 = time.process_time()
	for job in jobs:
		pool.execute(job)
	pool.join()
	with open(outpath, 'w') as fout:
		json.dump({'cpu': time.process_time() - cpu0}, fout)


def _threadsMain(count, outpath):
	"""ThreadPoolExecutor(2) + subprocess.run(['true'])"""
	import concurrent.futures
	cpu0 = time.process_time()
	with concurrent.futures.ThreadPoolExecutor(2) as executor:
		list(executor.map(lambda i: subprocess.run(['true']).returncode, range(count)))
	with open(outpath, 'w') as fout:
		json.dump({'cpu': time.process_time() - cpu0}, fout)


def _env(**changes):
	"""This environment as a user's (no bytecode or buffering switches of a development session), changed"""
	env = {name: val for name, val in os.environ.items() if name not in ('PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED')}
	env.update(changes)
	return env


def _timed(cmd, env, outpath=None):
	"""(wall seconds, the command's own CPU seconds per its JSON, or None) of a command, output to /dev/null"""
	if outpath and os.path.exists(outpath):
		os.remove(outpath)
	tstart = time.perf_counter()
	subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
	wall = time.perf_counter() - tstart
	cpu = None
	if outpath:
		with open(outpath) as fin:
			cpu = json.load(fin)['cpu']
	return wall, cpu


def main():
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--jobs', type=int, default=2000)
	parser.add_argument('--rounds', type=int, default=3)
	parser.add_argument('--busy', default='0,50,100,150,200,300', help='µs of added CPU per job, comma-separated')
	parser.add_argument('--cgroups', action='store_true', help='also the guarded loop with a cgroup per job (v1, root)')
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
	busies = [int(b) for b in args.busy.split(',')]
	tmp = tempfile.mkdtemp(prefix='bench-bound-')
	out = os.path.join(tmp, 'res.json')
	me = (sys.executable, os.path.abspath(__file__), '--child')
	cmds = [('xargs -P 2 -n 1 true', ('sh', '-c', 'yes true | head -n {} | xargs -P 2 -n 1 true'.format(args.jobs))
		, _env(), None)]
	cmds += [('loop, +{} µs per job'.format(b), me + ('loop', str(args.jobs), out, str(b)), _env(), out) for b in busies]
	cmds += [('guarded loop', me + ('guarded', str(args.jobs), out), _env(), out)]
	if args.cgroups:
		cmds += [('guarded loop, a cgroup per job', me + ('guarded-cg', str(args.jobs), out), _env(), out)]
	cmds += [('ThreadPoolExecutor(2)', me + ('threads', str(args.jobs), out), _env(), out)
		, ('pyexpool, default launcher', me + ('pool', str(args.jobs), out), _env(), out)
		, ('pyexpool, cgroups off', me + ('pool', str(args.jobs), out), _env(PYEXPOOL_CGROUP='off'), out)]
	walls = {name: [] for name, _, _, _ in cmds}
	cpus = {name: [] for name, _, _, _ in cmds}
	ratios = {name: [] for name, _, _, _ in cmds}
	for _ in range(args.rounds):
		for name, cmd, env, outpath in cmds:
			wall, cpu = _timed(cmd, env, outpath)
			walls[name].append(wall)
			if cpu is not None:
				cpus[name].append(cpu / args.jobs)
		for name in walls:
			ratios[name].append(walls['xargs -P 2 -n 1 true'][-1] / walls[name][-1])
	print('{} `true` jobs, 2 at a time, whole commands; medians of {} interleaved rounds; load average {}'.format(
		args.jobs, args.rounds, ' '.join('{:.2f}'.format(x) for x in os.getloadavg())))
	print('| command | jobs/s | its own CPU per job | rate / xargs (per round: min..max) |')
	print('|---|---|---|---|')
	for name, _, _, _ in cmds:
		rate = args.jobs / statistics.median(walls[name])
		cpu = '{:.0f} µs'.format(statistics.median(cpus[name]) * 1e6) if cpus[name] else '–'
		print('| {} | {:.0f} | {} | {:.2f} ({:.2f}..{:.2f}) |'.format(name, rate, cpu, statistics.median(ratios[name])
			, min(ratios[name]), max(ratios[name])))


if __name__ == '__main__':
	main()
