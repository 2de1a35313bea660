#!/usr/bin/env python3
"""Benchmark of the pyexpool core against xargs, GNU parallel and the ideal wall time

Run from the repository root:  python3 benchmarks/bench_core.py [--quick] [--repeat N] [--old PATH]
	[--long N] [--long-only]

Measured side by side in one run, each measurement repeated and its median reported (the spread,
min..max, is shown too, since the machine may be shared):
1. Throughput: N `true` jobs on 2 workers by mpepool (`ExecPool(2)`, default settings: a cgroup per job
	where usable; its console messages sent to /dev/null as a user would with `> /dev/null`), the same
	with cgroups off (PYEXPOOL_CGROUP=off), `xargs -P 2 -n 1 true`, GNU `parallel -j2 true` and a
	`ThreadPoolExecutor(2)` running `subprocess.run(['true'])` (what a plain Python program reaches: the
	proof that the rate is not Python's limit); with --old PATH also the mpepool.py found in PATH (an
	older version, e.g. `git archive deadcf3 mpepool.py | tar -x -C /tmp/old`). Each is timed as a whole
	command (interpreter start and exit included for mpepool and the thread pool), the rounds
	interleaved so that a load change hits all of them alike.
2. Short jobs: M `sleep 0.01` jobs on 2 workers against `xargs -P 2` running the same (and the ideal
	wall time M * 0.01 / 2).
3. Timeout precision: jobs `sleep 10` (also a process tree, and a tree with a grandchild that calls
	setsid) with timeouts of 0.2 .. 0.5 s. A watcher in this process finds every process of each job
	tree (by an environment tag the job's command sets) and waits for their exits through pidfds; the
	delay is the moment the last process of the tree exited minus the job's deadline (job.tstart +
	job.timeout, both on the system-wide monotonic clock of time.perf_counter()).

The pool runs in a child process (this script with --child) so that its timing is not disturbed by
the watcher and its console goes to /dev/null; the child writes its own figures to a JSON file. The
children run as a user runs them: PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED are removed from their
environment (set in a development session, they make every start compile mpepool.py, ~80 ms here, and
every message a write).
4. A long run (--long N, default 100,000; 0 skips it; once per benchmark run: a minute or more; alone
	with --long-only, also the --old one's then): N `true` jobs executed at once into ExecPool(2); the
	rate of the last quarter of the completions against the first quarter's (and the pool process's CPU
	time per job in each quarter, the garbage collector's part of it: less blurred by a shared machine's
	load than the rates), and the memory of the pool's process, the caller's apart from the pool's: its RSS at the start, with the N Job objects the caller
	made (the caller's), after each quarter (the growth: what the finished jobs keep, job.proc and the
	figures, the caller's too, and what the pool keeps), and after the caller dropped its jobs, before
	and after a gc.collect() (what refcounting did not free: reference cycles); beside each RSS the
	Python objects allocated (sys.getallocatedblocks()), which the allocator's free pages do not blur.

This is a script, not a test: it prints figures and their ratios to the targets, and exits 0 whether
or not the targets are met (1 on a failure of the benchmark itself).
"""
import argparse
import gc
import json
import os
import resource
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # The repository root: mpepool.py
_TAG = 'PYEXPOOL_BENCH_TAG'  # Environment variable naming the job a process belongs to
_POOLTAG = 'PYEXPOOL_BENCH_POOL'  # Environment variable set on the pool process (and so its descendants)
_SCAN_PERIOD = 0.003  # Seconds between scans of /proc for new processes of the timed-out jobs

# The targets
_TARGET_XARGS = 1.0  # mpepool rate / xargs rate >= (default launcher: a cgroup per job where usable)
_TARGET_XARGS_NOCG = 1.15  # the same with cgroups off
_TARGET_PARALLEL = 5.0  # mpepool rate / GNU parallel rate >=
_TARGET_SLEEP = 1.0  # mpepool wall time / xargs' wall time <= (sleep jobs)
_TARGET_DRIFT = 0.10  # |the last quarter's rate / the first quarter's - 1| <= (the long run)
_ROOTVAR = 'PYEXPOOL_BENCH_ROOT'  # Environment variable: the folder of the mpepool.py a child measures
_TARGET_KILL_MS = 50.  # the tree dead within ms of the deadline

# The job trees of the timeout measurement: (kind, shell command run through `env TAG=... sh -c`)
_TREES = (
	('single', 'exec sleep 10'),  # One process
	('tree', 'sleep 10 & sleep 10'),  # A shell with two children in its process group
	('setsid', '(setsid sleep 10 &); sleep 10'),  # A grandchild that left the job's session
)


# === The pool side (the child process) ===============================================================

def _childMain(mode, count, workers, outpath, extra):
	"""Run one pool measurement and write its figures as JSON to outpath

	mode: str  - 'true': count `true` jobs; 'sleep': count `sleep <extra>` jobs; 'timeout': count
		tagged `sleep 10` trees with timeouts from 0.2 to 0.5 s, extra is the tag prefix; 'long': count
		`true` jobs, their completion times kept; 'threads': count `true` runs by a ThreadPoolExecutor
	"""
	res = {'mode': mode}
	if mode == 'threads':
		import concurrent.futures
		with concurrent.futures.ThreadPoolExecutor(workers) as executor:
			codes = list(executor.map(lambda i: subprocess.run(['true']).returncode, range(count)))
		res['done'] = codes.count(0)
		with open(outpath, 'w') as fout:
			json.dump(res, fout)
		return
	sys.path.insert(0, os.environ.get(_ROOTVAR, _ROOT))
	import mpepool

	if mode == 'long':
		_longMain(mpepool, count, workers, res)
		with open(outpath, 'w') as fout:
			json.dump(res, fout)
		return
	finished = {}

	def onfinish(job):
		finished[job.name] = time.perf_counter()

	pool = mpepool.ExecPool(workers)
	jobs = []
	for i in range(count):
		if mode == 'true':
			jobs.append(mpepool.Job('t{}'.format(i), args=('true',)))
		elif mode == 'sleep':
			jobs.append(mpepool.Job('s{}'.format(i), args=('sleep', extra)))
		else:
			kind, cmd = _TREES[i % len(_TREES)]
			timeout = 0.2 + 0.3 * i / max(count - 1, 1)
			jobs.append(mpepool.Job('{}{}.{}'.format(extra, i, kind), timeout=timeout, onfinish=onfinish
				, args=('env', '{}={}{}'.format(_TAG, extra, i), 'sh', '-c', cmd)))
	tstart = time.perf_counter()
	for job in jobs:
		pool.execute(job)
	res['joined'] = pool.join()
	res['pool_s'] = time.perf_counter() - tstart
	own = resource.getrusage(resource.RUSAGE_SELF)
	res['pool_cpu'] = own.ru_utime + own.ru_stime  # The pool process alone, its start and import included
	res['done'] = pool.jobsdone
	res['failed'] = len(pool.failures)
	if mode == 'timeout':
		res['jobs'] = [{'name': job.name, 'deadline': job.tstart + job.timeout, 'timeout': job.timeout
			, 'reason': job.reason, 'code': job.proc.returncode if job.proc else None
			, 'finished': finished.get(job.name), 'wtime': job.wtime} for job in jobs]
	with open(outpath, 'w') as fout:
		json.dump(res, fout)


def _rss():
	"""Bytes of the resident memory of this process now"""
	with open('/proc/self/statm') as fstatm:
		return int(fstatm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def _mem():
	"""[RSS bytes, Python memory blocks allocated] of this process now"""
	return [_rss(), sys.getallocatedblocks()]


def _longMain(mpepool, count, workers, res):
	"""The long run: count `true` jobs; the completion times of each quarter, the pool's memory"""
	ends = []
	quarter = count // 4
	rss = []

	cpu = []  # The pool process's CPU seconds and the seconds spent in the garbage collector at each quarter's end
	gctime = [0., None]

	def ongc(phase, info):
		if phase == 'start':
			gctime[1] = time.perf_counter()
		elif gctime[1] is not None:
			gctime[0] += time.perf_counter() - gctime[1]

	def onfinish(job):
		ends.append(time.perf_counter())
		if len(ends) % quarter == 0:
			rss.append(_mem())
			cpu.append((time.process_time(), gctime[0]))

	gc.callbacks.append(ongc)
	pool = mpepool.ExecPool(workers)
	res['rss_start'] = _mem()
	jobs = [mpepool.Job('t{}'.format(i), args=('true',), onfinish=onfinish) for i in range(count)]
	res['rss_jobs'] = _mem()  # The caller's Job objects
	tstart = time.perf_counter()
	cpu0 = (time.process_time(), gctime[0])
	for job in jobs:
		pool.execute(job)
	res['joined'] = pool.join()
	res['pool_s'] = time.perf_counter() - tstart
	res['done'] = pool.jobsdone
	res['rss_quarters'] = rss
	res['cpu_quarters'] = [[(cur[0] - prev[0]) / quarter, (cur[1] - prev[1]) / quarter] for prev, cur in zip([cpu0] + cpu, cpu)]
	res['peak_rss'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
	del jobs, job  # The caller drops its jobs: what stays is the pool's (its bounded history of finished jobs)
	res['rss_dropped'] = _mem()
	gc.collect()
	res['rss_collected'] = _mem()
	res['quarters'] = [quarter / (ends[(i + 1) * quarter - 1] - (ends[i * quarter - 1] if i else tstart))
		for i in range(4)]


# === Helpers of the measuring side ===================================================================

def _printLong(longres, nlong, title):
	"""Print the figures of a long run: the quarters' rates, the memory of the caller and of the pool"""
	quarters = longres['quarters']
	drift = quarters[3] / quarters[0] - 1
	print('  {}: quarter rates  {}  jobs/s; last / first - 1 = {:+.3f}  (within +-{})  {}'.format(title
		, ' '.join('{:.0f}'.format(q) for q in quarters), drift, _TARGET_DRIFT, _verdict(abs(drift) <= _TARGET_DRIFT)))

	print('    the pool process\'s CPU per job in each quarter: {} ms, of which in the garbage collector {} ms'.format(
		' '.join('{:.3f}'.format(q[0] * 1000) for q in longres['cpu_quarters'])
		, ' '.join('{:.3f}'.format(q[1] * 1000) for q in longres['cpu_quarters'])))

	def mem(fig):
		return '{:.1f} MB ({:.0f}k objects)'.format(fig[0] / 2**20, fig[1] / 1000)
	start, made, qs = longres['rss_start'], longres['rss_jobs'], longres['rss_quarters']
	print('    memory of the pool\'s process (peak RSS {:.1f} MB): at the start {}; with the caller\'s {} Job objects {}'
		' (+{:.0f} bytes, {:.1f} objects per job)'.format(longres['peak_rss'] / 2**20, mem(start), nlong, mem(made)
		, (made[0] - start[0]) / nlong, (made[1] - start[1]) / nlong))
	print('    after each quarter: {}; the growth over the run: {:+.0f} bytes, {:+.1f} objects per job (what the'
		' finished jobs keep, as job.proc, and what the pool keeps)'.format(', '.join(mem(q) for q in qs)
		, (qs[-1][0] - made[0]) / nlong, (qs[-1][1] - made[1]) / nlong))
	dropped, collected = longres['rss_dropped'], longres['rss_collected']
	print('    the caller dropped its jobs: {}; then gc.collect(): {} (objects left to the collector by reference'
		' cycles: {:.1f} per job); the pool keeps {:+.0f}k objects against its start'.format(mem(dropped)
		, mem(collected), (dropped[1] - collected[1]) / nlong, (collected[1] - start[1]) / 1000))

def _runTimed(cmd, shell=False, env=None, errpath=None):
	"""Run a command with its output to /dev/null

	return (wall seconds, CPU seconds of the command and all its descendants that it waited for)
	Raises RuntimeError when it fails, with the tail of its stderr.
	"""
	ferr = open(errpath, 'wb') if errpath else subprocess.DEVNULL
	try:
		cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
		tstart = time.perf_counter()
		code = subprocess.call(cmd, shell=shell, env=env, stdin=subprocess.DEVNULL
			, stdout=subprocess.DEVNULL, stderr=ferr)
		wall = time.perf_counter() - tstart
		cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
	finally:
		if errpath:
			ferr.close()
	if code:
		tail = ''
		if errpath:
			with open(errpath, 'rb') as fin:
				tail = fin.read()[-2000:].decode('utf-8', 'replace')
		raise RuntimeError('{!r} failed with code {}{}'.format(cmd, code, '\n' + tail if tail else ''))
	return wall, cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime


def _userEnv():
	"""The environment of a child measured as a user runs it: this one without the variables of a
	development session that change a Python program's cost (no bytecode cache: the module compiled at
	every start; unbuffered output: a write per message)"""
	env = dict(os.environ)
	for name in ('PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED'):
		env.pop(name, None)
	return env


def _runPool(mode, count, workers, tmpdir, extra='', cgroups=True, root=_ROOT):
	"""Run a pool measurement in a child process (cgroups False: PYEXPOOL_CGROUP=off; root: the folder
	of the mpepool.py to measure)

	return (its whole wall time, its CPU time with the jobs', its JSON figures)
	"""
	outpath = os.path.join(tmpdir, 'res.json')
	errpath = os.path.join(tmpdir, 'child.err')
	cmd = (sys.executable, os.path.abspath(__file__), '--child', mode, str(count), str(workers), outpath, extra)
	env = _userEnv()
	env[_ROOTVAR] = root
	if not cgroups:
		env['PYEXPOOL_CGROUP'] = 'off'
	wall, cpu = _runTimed(cmd, env=env, errpath=errpath)
	with open(outpath) as fin:
		return wall, cpu, json.load(fin)


def _environ(pid):
	"""The initial environment block of a process as bytes, or None if it is gone or not readable"""
	try:
		with open('/proc/{}/environ'.format(pid), 'rb') as fenv:
			return fenv.read()
	except OSError:
		return None


def _envValue(env, name):
	"""The value (bytes) of a variable in an environment block, or None"""
	key = name.encode() + b'='
	start = env.find(key)
	while start > 0 and env[start - 1] != 0:
		start = env.find(key, start + 1)
	if start < 0:
		return None
	end = env.find(b'\0', start)
	return env[start + len(key):end if end >= 0 else None]


def _alive(pid):
	"""Whether a process exists and is not a zombie"""
	try:
		with open('/proc/{}/stat'.format(pid), 'rb') as fstat:
			stat = fstat.read()
	except OSError:
		return False
	return stat[stat.rfind(b')') + 2:][:1] not in (b'Z', b'X')


def _session(pid):
	"""The session id of a process, or None if it is gone"""
	try:
		with open('/proc/{}/stat'.format(pid), 'rb') as fstat:
			stat = fstat.read()
	except OSError:
		return None
	return int(stat[stat.rfind(b')') + 2:].split()[3])


def _taggedAlive(prefix):
	"""Pids of the live (not zombie) processes whose tag starts with prefix"""
	pids = []
	for name in os.listdir('/proc'):
		if name.isdigit():
			env = _environ(name)
			tag = env and _envValue(env, _TAG)
			if tag and tag.startswith(prefix.encode()) and _alive(name):
				pids.append(int(name))
	return pids


def _measureTimeouts(count, workers, tmpdir):
	"""Run `count` timed-out job trees in a child pool and watch their processes exit

	return dict  - per job: kind, deadline delay of the tree's death (ms), delay of the pool's
		completion (ms), processes found; plus the survivors (tagged processes alive after the pool)
	"""
	prefix = 'b{:x}.'.format(int.from_bytes(os.urandom(3), 'little'))
	outpath = os.path.join(tmpdir, 'res.json')
	errpath = os.path.join(tmpdir, 'child.err')
	env = dict(os.environ)
	env[_POOLTAG] = prefix
	# The processes that exist before the pool (kernel threads without an environment among them)
	ignored = set(int(name) for name in os.listdir('/proc') if name.isdigit())
	sel = selectors.DefaultSelector()
	ferr = open(errpath, 'wb')
	child = subprocess.Popen((sys.executable, os.path.abspath(__file__), '--child', 'timeout', str(count)
		, str(workers), outpath, prefix), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=ferr)
	ferr.close()
	childfd = os.pidfd_open(child.pid)
	sel.register(childfd, selectors.EVENT_READ, None)
	bpool = prefix.encode()
	ignored.add(child.pid)  # Pids that are not (and will not become) job processes
	pending = set()  # Descendants of the pool without a tag yet: forked, not yet exec'd into the tagged `sh`
	tracked = {}  # pid -> tag of a tagged process being watched
	exits = {}  # tag -> [perf_counter of each of its processes' exits]
	found = {}  # tag -> number of its processes found
	sessions = {}  # tag -> the session ids of its processes: 2 where a grandchild called setsid
	missed = 0  # Tagged processes that exited before their pidfd was opened

	def examine(pid, now):
		"""Track a process of a job tree; tell whether to look at it again later"""
		nonlocal missed
		env = _environ(pid)
		if env is None:
			return False  # Gone, or another user's
		if not env:
			# Being forked or exec'd (or a zombie): look again; older processes are ignored up front
			return True
		if _envValue(env, _POOLTAG) != bpool:
			return False
		tag = _envValue(env, _TAG)
		if tag is None:
			return True  # The pool's fork before its exec, or the pool's guardian: look again
		tag = tag.decode()
		found[tag] = found.get(tag, 0) + 1
		sessions.setdefault(tag, set()).add(_session(pid))
		try:
			pidfd = os.pidfd_open(pid)
		except ProcessLookupError:
			missed += 1
			exits.setdefault(tag, []).append(now)
			return False
		tracked[pid] = tag
		sel.register(pidfd, selectors.EVENT_READ, (pid, tag))
		return False

	# A scanner thread finds the processes and opens their pidfds; this thread only waits for their
	# exits, so that its timestamps do not suffer from a read of /proc that blocks (a process's environ
	# is read under its memory map lock, which a busy process may hold for long)
	lock = threading.Lock()
	stop = threading.Event()

	def scan():
		"""Find new processes of the job trees until stopped"""
		while not stop.is_set():
			now = time.perf_counter()
			for name in os.listdir('/proc'):
				if name.isdigit():
					pid = int(name)
					if pid not in ignored and pid not in tracked and pid not in pending:
						with lock:
							if examine(pid, now):
								pending.add(pid)
							else:
								ignored.add(pid)
			for pid in list(pending):
				with lock:
					if not examine(pid, now):
						pending.discard(pid)
						ignored.add(pid)
			with lock:
				for pid, tag in list(tracked.items()):  # A process calls setsid() some time after it was found
					sessions[tag].add(_session(pid))
			stop.wait(_SCAN_PERIOD)

	scanner = threading.Thread(target=scan, name='scanner', daemon=True)
	scanner.start()
	done = False
	while not done:
		for key, _ in sel.select(0.05):
			now = time.perf_counter()
			if key.data is None:
				done = True
				continue
			pid, tag = key.data
			with lock:
				exits.setdefault(tag, []).append(now)
				sel.unregister(key.fd)
				os.close(key.fd)
				del tracked[pid]
	stop.set()
	scanner.join()
	child.wait()
	sel.unregister(childfd)
	os.close(childfd)
	survivors = _taggedAlive(prefix)
	for pid in survivors:  # Clean up whatever the pool left, so that the next rounds are not disturbed
		try:
			os.kill(pid, signal.SIGKILL)
		except ProcessLookupError:
			pass  # Exited meanwhile
	for key in list(sel.get_map().values()):
		sel.unregister(key.fd)
		os.close(key.fd)
	sel.close()
	if child.returncode:
		with open(errpath, 'rb') as fin:
			tail = fin.read()[-2000:].decode('utf-8', 'replace')
		raise RuntimeError('the timeout measurement failed with code {}\n{}'.format(child.returncode, tail))
	with open(outpath) as fin:
		res = json.load(fin)
	jobs = []
	for info in res['jobs']:
		tag = prefix + info['name'][len(prefix):].split('.', 1)[0]
		kind = info['name'].rsplit('.', 1)[1]
		ends = exits.get(tag)
		jobs.append({'kind': kind, 'reason': info['reason'], 'nprocs': found.get(tag, 0)
			, 'nsessions': len(sessions.get(tag, set()) - {None})
			, 'dead_ms': (max(ends) - info['deadline']) * 1000 if ends else None
			, 'completed_ms': (info['finished'] - info['deadline']) * 1000 if info['finished'] else None})
	return {'jobs': jobs, 'survivors': len(survivors), 'missed': missed, 'pool_s': res['pool_s']}


# === Reporting =======================================================================================

def _med(values):
	"""Median of the values, None if there are none"""
	values = [v for v in values if v is not None]
	return statistics.median(values) if values else None


def _spread(values, fmt):
	"""'min..max' of the values, formatted"""
	values = [v for v in values if v is not None]
	if not values:
		return '-'
	return '{}..{}'.format(fmt.format(min(values)), fmt.format(max(values)))


def _verdict(ok):
	"""A word for a target check"""
	return 'MET' if ok else 'MISSED'


def main():
	"""Parse the command line, run the measurements, print the table and the README lines"""
	parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
	parser.add_argument('--quick', action='store_true', help='smaller run: 500 true, 60 sleep, 9 timeout jobs, 2 rounds')
	parser.add_argument('--repeat', type=int, default=None, help='rounds of each measurement (default 3, quick 2)')
	parser.add_argument('--old', metavar='PATH', help='a folder with an older mpepool.py, alternated with this one')
	parser.add_argument('--long', type=int, default=None, help='jobs of the long run (default 100000, quick 20000, 0: none)')
	parser.add_argument('--long-only', action='store_true', help='the long run alone (and the --old one\'s)')
	parser.add_argument('--child', nargs=5, metavar=('MODE', 'COUNT', 'WORKERS', 'OUT', 'EXTRA'), help=argparse.SUPPRESS)
	opts = parser.parse_args()
	if opts.child:
		mode, count, workers, outpath, extra = opts.child
		_childMain(mode, int(count), int(workers), outpath, extra)
		return 0
	if not hasattr(os, 'pidfd_open'):
		print('The timeout measurement needs os.pidfd_open (Python >= 3.9, Linux >= 5.3)', file=sys.stderr)
		return 1
	ntrue, nsleep, ntimeout, rounds = (500, 60, 9, 2) if opts.quick else (2000, 200, 21, 3)
	nlong = opts.long if opts.long is not None else 20000 if opts.quick else 100000
	if opts.old and not os.path.isfile(os.path.join(opts.old, 'mpepool.py')):
		parser.error('--old {!r}: no mpepool.py there'.format(opts.old))
	if opts.repeat is not None:
		if opts.repeat < 1:
			parser.error('--repeat must be >= 1, not {!r}'.format(opts.repeat))
		rounds = opts.repeat
	workers = 2
	sleeptime = 0.01
	ideal = nsleep * sleeptime / workers
	parallel = shutil.which('parallel')
	if parallel:  # Debian's moreutils also has a `parallel`: GNU's answers --version
		try:
			ver = subprocess.run((parallel, '--version'), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
				, stderr=subprocess.DEVNULL, timeout=30).stdout.decode('utf-8', 'replace')
		except (OSError, subprocess.TimeoutExpired):
			ver = ''
		parallel = parallel if 'GNU parallel' in ver else None
		parver = ver.split('\n', 1)[0]
	print('pyexpool core benchmark: {} rounds, {} CPUs, load average {}, Python {}'.format(rounds, os.cpu_count()
		, ' '.join('{:.2f}'.format(v) for v in os.getloadavg()), sys.version.split()[0]))
	print('GNU parallel: {}'.format(parver if parallel else 'NOT INSTALLED (its comparison is skipped)'))
	tstart = time.perf_counter()
	seq = '\n'.join(str(i) for i in range(1, ntrue + 1)) + '\n'
	seqpath = None
	# Lists of per-round figures; the ratios are taken per round (the tools of a round ran under about
	# the same load), then their median
	meas = {key: [] for key in ('mpe', 'mpe_pool', 'mpe_cpu', 'mpe_owncpu', 'xargs', 'xargs_cpu', 'r_xargs'
		, 'parallel', 'parallel_cpu', 'r_parallel', 'sleep', 'sleep_wall', 'sleep_xargs', 'r_sleep', 'timeouts'
		, 'nocg', 'nocg_pool', 'nocg_owncpu', 'r_nocg', 'threads', 'r_threads', 'old', 'r_old', 'r_ideal')}
	with tempfile.TemporaryDirectory(prefix='pyexpool-bench-') as tmpdir:
		seqpath = os.path.join(tmpdir, 'seq')
		with open(seqpath, 'w') as fout:
			fout.write(seq)
		sseqpath = os.path.join(tmpdir, 'sseq')
		with open(sseqpath, 'w') as fout:
			fout.write('\n'.join(str(i) for i in range(1, nsleep + 1)) + '\n')
		for rnd in range(0 if opts.long_only else rounds):
			print('round {} / {} ...'.format(rnd + 1, rounds), flush=True)
			wall, cpu, res = _runPool('true', ntrue, workers, tmpdir)
			if res['done'] != ntrue:
				raise RuntimeError('mpepool completed {} of {} true jobs'.format(res['done'], ntrue))
			meas['mpe'].append(ntrue / wall)
			meas['mpe_pool'].append(ntrue / res['pool_s'])
			meas['mpe_cpu'].append(cpu / ntrue * 1000)
			meas['mpe_owncpu'].append(res['pool_cpu'] / ntrue * 1000)
			wall, cpu = _runTimed('xargs -P {} -n 1 true < {}'.format(workers, seqpath), shell=True)
			meas['xargs'].append(ntrue / wall)
			meas['xargs_cpu'].append(cpu / ntrue * 1000)
			meas['r_xargs'].append(meas['mpe'][-1] / meas['xargs'][-1])
			wall, cpu, res = _runPool('true', ntrue, workers, tmpdir, cgroups=False)
			if res['done'] != ntrue:
				raise RuntimeError('mpepool without cgroups completed {} of {} true jobs'.format(res['done'], ntrue))
			meas['nocg'].append(ntrue / wall)
			meas['nocg_pool'].append(ntrue / res['pool_s'])
			meas['nocg_owncpu'].append(res['pool_cpu'] / ntrue * 1000)
			meas['r_nocg'].append(meas['nocg'][-1] / meas['xargs'][-1])
			wall, _, res = _runPool('threads', ntrue, workers, tmpdir)
			if res['done'] != ntrue:
				raise RuntimeError('the thread pool completed {} of {} true jobs'.format(res['done'], ntrue))
			meas['threads'].append(ntrue / wall)
			meas['r_threads'].append(meas['threads'][-1] / meas['xargs'][-1])
			if opts.old:
				wall, _, res = _runPool('true', ntrue, workers, tmpdir, root=os.path.abspath(opts.old))
				if res['done'] != ntrue:
					raise RuntimeError('the old mpepool completed {} of {} true jobs'.format(res['done'], ntrue))
				meas['old'].append(ntrue / wall)
				meas['r_old'].append(meas['mpe'][-1] / meas['old'][-1])
			if parallel:
				wall, cpu = _runTimed('{} --will-cite -j{} true < {}'.format(parallel, workers, seqpath), shell=True)
				meas['parallel'].append(ntrue / wall)
				meas['parallel_cpu'].append(cpu / ntrue * 1000)
				meas['r_parallel'].append(meas['mpe'][-1] / meas['parallel'][-1])
			wall, cpu, res = _runPool('sleep', nsleep, workers, tmpdir, str(sleeptime))
			if res['done'] != nsleep:
				raise RuntimeError('mpepool completed {} of {} sleep jobs'.format(res['done'], nsleep))
			meas['sleep'].append(res['pool_s'])
			meas['sleep_wall'].append(wall)
			meas['sleep_xargs'].append(_runTimed('xargs -P {} -I{{}} sleep {} < {}'.format(workers, sleeptime
				, sseqpath), shell=True)[0])
			meas['r_sleep'].append(meas['sleep'][-1] / meas['sleep_xargs'][-1])
			meas['r_ideal'].append(meas['sleep'][-1] / ideal)
			meas['timeouts'].append(_measureTimeouts(ntimeout, workers, tmpdir))
		longres = oldlong = None
		if nlong and opts.long_only and opts.old:
			print('long run of {}: {} `true` jobs ...'.format(opts.old, nlong), flush=True)
			_, _, oldlong = _runPool('long', nlong, workers, tmpdir, root=os.path.abspath(opts.old))
		if nlong:
			print('long run: {} `true` jobs ...'.format(nlong), flush=True)
			_, _, longres = _runPool('long', nlong, workers, tmpdir)
		for res in (oldlong, longres):
			if res is not None and res['done'] != nlong:
				raise RuntimeError('mpepool completed {} of {} true jobs in the long run'.format(res['done'], nlong))
	elapsed = time.perf_counter() - tstart
	if opts.long_only:
		if oldlong:
			_printLong(oldlong, nlong, 'long run of {}'.format(opts.old))
		if longres:
			_printLong(longres, nlong, 'long run')
		print('\n{:.1f} s in total, load average {} at the end.'.format(elapsed, ' '.join('{:.2f}'.format(v)
			for v in os.getloadavg())))
		return 0

	mpe, xargs, par = _med(meas['mpe']), _med(meas['xargs']), _med(meas['parallel'])
	sleep = _med(meas['sleep'])
	rxargs, rpar, rsleep = _med(meas['r_xargs']), _med(meas['r_parallel']), _med(meas['r_sleep'])
	alljobs = [job for rnd in meas['timeouts'] for job in rnd['jobs']]
	dead = [job['dead_ms'] for job in alljobs if job['dead_ms'] is not None]
	survivors = sum(rnd['survivors'] for rnd in meas['timeouts'])
	notimeout = sum(1 for job in alljobs if job['reason'] != 'timeout')
	nodeath = sum(1 for job in alljobs if job['dead_ms'] is None)
	deadmax, deadmed = max(dead), statistics.median(dead)
	# Per-round medians and maxima show the spread between rounds
	rmaxes = [max(j['dead_ms'] for j in rnd['jobs'] if j['dead_ms'] is not None) for rnd in meas['timeouts']]
	rmeds = [_med([j['dead_ms'] for j in rnd['jobs']]) for rnd in meas['timeouts']]
	completed = [job['completed_ms'] for job in alljobs if job['completed_ms'] is not None]

	print('\nFigures (median of {} rounds, min..max in brackets), {:.1f} s in total'.format(rounds, elapsed))
	row = '  {:<58} {:>12}  {}'
	print(row.format('{} `true` jobs, {} workers'.format(ntrue, workers), '', ''))
	print(row.format('mpepool, whole command (python start/exit incl.)', '{:.0f} jobs/s'.format(mpe)
		, '[{}]'.format(_spread(meas['mpe'], '{:.0f}'))))
	print(row.format('mpepool, first execute() to join() return', '{:.0f} jobs/s'.format(_med(meas['mpe_pool']))
		, '[{}]'.format(_spread(meas['mpe_pool'], '{:.0f}'))))
	print(row.format('mpepool, cgroups off, whole command', '{:.0f} jobs/s'.format(_med(meas['nocg']))
		, '[{}]'.format(_spread(meas['nocg'], '{:.0f}'))))
	print(row.format('mpepool, cgroups off, first execute() to join() return', '{:.0f} jobs/s'.format(
		_med(meas['nocg_pool'])), '[{}]'.format(_spread(meas['nocg_pool'], '{:.0f}'))))
	if opts.old:
		print(row.format('mpepool of {}, whole command'.format(opts.old), '{:.0f} jobs/s'.format(_med(meas['old']))
			, '[{}]'.format(_spread(meas['old'], '{:.0f}'))))
	print(row.format('ThreadPoolExecutor({}) + subprocess.run, whole command'.format(workers), '{:.0f} jobs/s'.format(
		_med(meas['threads'])), '[{}]'.format(_spread(meas['threads'], '{:.0f}'))))
	print(row.format('xargs -P {} -n 1 true'.format(workers), '{:.0f} jobs/s'.format(xargs)
		, '[{}]'.format(_spread(meas['xargs'], '{:.0f}'))))
	if par:
		print(row.format('GNU parallel -j{} true'.format(workers), '{:.0f} jobs/s'.format(par)
			, '[{}]'.format(_spread(meas['parallel'], '{:.0f}'))))
	else:
		print(row.format('GNU parallel', 'not installed', ''))
	print(row.format('CPU per job, mpepool: all / the pool process alone', '{:.3f} ms'.format(_med(meas['mpe_cpu']))
		, '/ {:.3f} ms  [{} / {}]'.format(_med(meas['mpe_owncpu']), _spread(meas['mpe_cpu'], '{:.3f}')
		, _spread(meas['mpe_owncpu'], '{:.3f}'))))
	print(row.format('CPU per job, mpepool with cgroups off: the pool process alone', '{:.3f} ms'.format(
		_med(meas['nocg_owncpu'])), '[{}]'.format(_spread(meas['nocg_owncpu'], '{:.3f}'))))
	print(row.format('CPU per job, xargs (= about the cost of `true` itself)', '{:.3f} ms'.format(_med(meas['xargs_cpu']))
		, '[{}]'.format(_spread(meas['xargs_cpu'], '{:.3f}'))))
	if par:
		print(row.format('CPU per job, GNU parallel', '{:.3f} ms'.format(_med(meas['parallel_cpu']))
			, '[{}]'.format(_spread(meas['parallel_cpu'], '{:.3f}'))))
	print(row.format('{} `sleep {}` jobs, {} workers, ideal {:.3f} s'.format(nsleep, sleeptime, workers, ideal), '', ''))
	print(row.format('mpepool, first execute() to join() return', '{:.3f} s'.format(sleep)
		, '[{}]'.format(_spread(meas['sleep'], '{:.3f}'))))
	print(row.format('mpepool, whole command', '{:.3f} s'.format(_med(meas['sleep_wall']))
		, '[{}]'.format(_spread(meas['sleep_wall'], '{:.3f}'))))
	print(row.format('xargs -P {} (for reference)'.format(workers), '{:.3f} s'.format(_med(meas['sleep_xargs']))
		, '[{}]'.format(_spread(meas['sleep_xargs'], '{:.3f}'))))
	print(row.format('Timeouts: {} jobs x {} rounds, {} workers, 0.2..0.5 s'.format(ntimeout, rounds, workers), '', ''))
	for kind, _ in _TREES:
		kdead = [j['dead_ms'] for j in alljobs if j['kind'] == kind and j['dead_ms'] is not None]
		nprocs = sorted(set(j['nprocs'] for j in alljobs if j['kind'] == kind))
		nsess = sorted(set(j['nsessions'] for j in alljobs if j['kind'] == kind))
		print(row.format('tree dead after deadline, {} ({} procs, {} sess/job)'.format(kind
			, '/'.join(map(str, nprocs)), '/'.join(map(str, nsess)))
			, '{:.1f} ms'.format(statistics.median(kdead)) if kdead else '-'
			, 'max {:.1f} ms'.format(max(kdead)) if kdead else ''))
	print(row.format('tree dead after the deadline, all: median', '{:.1f} ms'.format(deadmed)
		, '[round medians {}]'.format(_spread(rmeds, '{:.1f}'))))
	print(row.format('tree dead after the deadline, all: max', '{:.1f} ms'.format(deadmax)
		, '[round maxima {}]'.format(_spread(rmaxes, '{:.1f}'))))
	print(row.format('job completed (onfinish) after the deadline, median', '{:.1f} ms'.format(_med(completed))
		, 'max {:.1f} ms'.format(max(completed)) if completed else ''))
	print(row.format('survivors / jobs not stopped by timeout / no exit seen', '{} / {} / {}'.format(
		survivors, notimeout, nodeath), ''))
	slow = sorted((j for j in alljobs if j['dead_ms'] is not None and j['dead_ms'] > _TARGET_KILL_MS / 5)
		, key=lambda j: -j['dead_ms'])
	if slow:
		print('  slowest (tree dead / completed by the pool, ms): {}'.format(', '.join('{} {:.1f} / {}'.format(
			j['kind'], j['dead_ms'], '{:.1f}'.format(j['completed_ms']) if j['completed_ms'] is not None else '-')
			for j in slow[:8])))

	print('\nTargets (median of the per-round ratios, min..max in brackets)')
	print('  mpepool / xargs rate     {:6.3f}  [{}]  (>= {})   {}'.format(rxargs, _spread(meas['r_xargs'], '{:.2f}')
		, _TARGET_XARGS, _verdict(rxargs >= _TARGET_XARGS)))
	rnocg = _med(meas['r_nocg'])
	print('  cgroups off / xargs rate {:6.3f}  [{}]  (>= {})  {}   (the thread pool: {:.3f})'.format(rnocg
		, _spread(meas['r_nocg'], '{:.2f}'), _TARGET_XARGS_NOCG, _verdict(rnocg >= _TARGET_XARGS_NOCG)
		, _med(meas['r_threads'])))
	if opts.old:
		print('  mpepool / the old one    {:6.3f}  [{}]  (the default launchers of both)'.format(_med(meas['r_old'])
			, _spread(meas['r_old'], '{:.2f}')))
	if rpar is not None:
		print('  mpepool / parallel rate  {:6.3f}  [{}]  (>= {})   {}'.format(rpar, _spread(meas['r_parallel'], '{:.2f}')
			, _TARGET_PARALLEL, _verdict(rpar >= _TARGET_PARALLEL)))
	else:
		print('  mpepool / parallel rate     -    (>= {})   GNU parallel not installed'.format(_TARGET_PARALLEL))
	print('  sleep wall / xargs\'     {:6.3f}  [{}]  (<= {})  {}   (to the ideal: mpepool {:.3f}, xargs {:.3f})'.format(
		rsleep, _spread(meas['r_sleep'], '{:.3f}'), _TARGET_SLEEP, _verdict(rsleep <= _TARGET_SLEEP)
		, _med(meas['r_ideal']), _med(meas['sleep_xargs']) / ideal))
	if longres:
		_printLong(longres, nlong, 'long run')
	killok = deadmax <= _TARGET_KILL_MS and not survivors and not notimeout and not nodeath
	print('  tree dead after deadline {:6.1f} ms max, {:.1f} ms median  (<= {:.0f} ms)  {}'.format(deadmax, deadmed
		, _TARGET_KILL_MS, _verdict(killok)))

	print('\nREADME lines:')
	print('| measurement | pyexpool | baseline | ratio | target |')
	print('|---|---|---|---|---|')
	print('| {} `true` jobs, 2 workers, vs `xargs -P 2 -n 1` | {:.0f} jobs/s | {:.0f} jobs/s | {:.2f} | >= {} |'.format(
		ntrue, mpe, xargs, rxargs, _TARGET_XARGS))
	if par:
		print('| {} `true` jobs, 2 workers, vs GNU `parallel -j2` | {:.0f} jobs/s | {:.0f} jobs/s | {:.2f} | >= {:.0f} |'.format(
			ntrue, mpe, par, rpar, _TARGET_PARALLEL))
	else:
		print('| {} `true` jobs, 2 workers, vs GNU `parallel -j2` | {:.0f} jobs/s | not installed | - | >= {:.0f} |'.format(
			ntrue, mpe, _TARGET_PARALLEL))
	print('| {} `true` jobs, 2 workers, cgroups off, vs `xargs -P 2 -n 1` | {:.0f} jobs/s | {:.0f} jobs/s | {:.2f} | >= {}'
		' (a `ThreadPoolExecutor(2)` + `subprocess.run`: {:.2f}) |'.format(ntrue, _med(meas['nocg']), xargs, rnocg
		, _TARGET_XARGS_NOCG, _med(meas['r_threads'])))
	print('| {} `sleep {}` jobs, 2 workers, vs `xargs -P 2` | {:.3f} s | {:.3f} s | {:.3f} | <= {} |'.format(
		nsleep, sleeptime, sleep, _med(meas['sleep_xargs']), rsleep, _TARGET_SLEEP))
	print('| timed-out job tree (also with a setsid grandchild) dead after its deadline, median / max of {} | {:.1f} / {:.1f} ms'
		' | - | - | <= {:.0f} ms |'.format(len(dead), deadmed, deadmax, _TARGET_KILL_MS))
	print('| CPU time per `true` job (pool process + job) vs xargs | {:.3f} ms | {:.3f} ms | {:.2f} | - |'.format(
		_med(meas['mpe_cpu']), _med(meas['xargs_cpu']), _med(meas['mpe_cpu']) / _med(meas['xargs_cpu'])))
	print('\nRatios are the medians of the per-round ratios (the tools ran interleaved); {} rounds on {} CPUs,'
		' load average {} at the end.'.format(rounds, os.cpu_count(), ' '.join('{:.2f}'.format(v) for v in os.getloadavg())))
	return 0


if __name__ == '__main__':
	try:
		sys.exit(main())
	except RuntimeError as err:
		print('Benchmark failure: {}'.format(err), file=sys.stderr)
		sys.exit(1)
