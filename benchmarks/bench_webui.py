#!/usr/bin/env python3
"""Benchmark of the Web UI under load: the pool's timeout precision with and without 50 HTTP clients

Run from the repository root:  python3 benchmarks/bench_webui.py [--clients 50] [--seconds 10] [--rounds 1]
[--idle 1000]

Each phase runs in a child process (this script with --pool), so that its CPU time is its own: a pool
ExecPool(4) with a Web UI on 127.0.0.1 (a free port) and 1,000 queued jobs `sleep 10` in three tasks,
with timeouts of 0.2 .. 0.4 s, runs for --seconds; in the loaded phase a second child process (this
script with --clients) runs --clients threads that request the UI's pages back to back (a new
connection per request, as wsgiref closes it; a mix of /, /jobs, /tasks in htm, json and txt) for the
same time. Figures:
- timeout lateness: the moment the pool completed a timed-out job (its onfinish ran) minus the job's
  deadline (job.tstart + job.timeout, on the monotonic clock of time.perf_counter()): the wake-up,
  the signal, the job's exit and its reaping, as a user of the pool sees it;
- the requests sent, answered (HTTP 200) and unanswered within 10 s, and their answer times;
- the CPU time of the pool's process (its pool thread and the Web UI's threads) during the phase.
A third phase holds --idle connections (1,000 by default) open to the UI without a request, from a child
process of their own (this script with --idleproc), for the whole phase, as any local user can: the same
timeout lateness, the jobs started and those that failed to start, the peak of the pool process's open
descriptors and threads, and the answer times of a client that asks for /jobs?fmt=json every 0.5 s
from behind the idle connections (the server closes those that stay silent).
Loopback only; the client threads stop after --seconds and after at most 100,000 requests in all.
This is a script, not a test: it prints figures and their ratios to the targets (lateness <= 50 ms,
every request answered) and exits 0 whether or not the targets are met (1 on a failure of the
benchmark itself).
"""
import argparse
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # The repository root: mpepool.py
_PAGES = ('/', '/jobs', '/tasks', '/jobs?fmt=json', '/?fmt=json', '/tasks?fmt=json', '/jobs?fmt=txt'
	, '/tasks?fmt=txt&lim=10', '/jobs?refresh=5', '/apinfo')
_CLIENT_TIMEOUT = 10.  # Seconds after which a request counts as unanswered
_REQUESTS_MAX = 100000  # All client threads together stop after this many requests
_TARGET_LATE_MS = 50.  # Timeouts fire within this many ms of their deadlines, with or without clients


# === The clients (a child process) ===================================================================

def _clientsMain(nclients, seconds, port, outpath, token):
	"""Request the UI's pages from nclients threads for seconds; write the figures as JSON to outpath"""
	lock = threading.Lock()
	res = {'sent': 0, 'ok': 0, 'status': {}, 'errors': {}, 'times': []}
	tend = time.perf_counter() + seconds
	start = threading.Barrier(nclients)

	def client(idx):
		start.wait()
		seq = idx
		while time.perf_counter() < tend:
			with lock:
				if res['sent'] >= _REQUESTS_MAX:
					return
				res['sent'] += 1
			path = _PAGES[seq % len(_PAGES)]
			seq += 1
			tstart = time.perf_counter()
			conn = http.client.HTTPConnection('127.0.0.1', port, timeout=_CLIENT_TIMEOUT)
			try:
				conn.request('GET', path, headers={'Authorization': 'Bearer ' + token})
				resp = conn.getresponse()
				resp.read()
				status, err = resp.status, None
			except OSError as exc:  # A timeout, a refused or reset connection: unanswered
				status, err = None, type(exc).__name__
			finally:
				conn.close()
			secs = time.perf_counter() - tstart
			with lock:
				res['times'].append(secs)
				if status == 200:
					res['ok'] += 1
				if status is not None:
					res['status'][str(status)] = res['status'].get(str(status), 0) + 1
				else:
					res['errors'][err] = res['errors'].get(err, 0) + 1

	threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(nclients)]
	for thr in threads:
		thr.start()
	for thr in threads:
		thr.join(seconds + 2 * _CLIENT_TIMEOUT)
	with open(outpath, 'w') as fout:
		json.dump(res, fout)


def _idleMain(nidle, seconds, port, outpath, token):
	"""Open nidle connections that send nothing and hold them for seconds, while a probe asks for a page
	every 0.5 s; write the probe's answer times and the connections the server closed to outpath"""
	import socket
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, nidle + 64)), hard))
	socks = []
	for _ in range(nidle):
		sock = socket.socket()
		sock.setblocking(False)
		sock.connect_ex(('127.0.0.1', port))
		socks.append(sock)
	res = {'probes': [], 'probeErrors': 0}
	tend = time.perf_counter() + seconds
	while time.perf_counter() < tend:
		tstart = time.perf_counter()
		conn = http.client.HTTPConnection('127.0.0.1', port, timeout=_CLIENT_TIMEOUT)
		try:
			conn.request('GET', '/jobs?fmt=json', headers={'Authorization': 'Bearer ' + token})
			resp = conn.getresponse()
			resp.read()
			if resp.status == 200:
				res['probes'].append(time.perf_counter() - tstart)
			else:
				res['probeErrors'] += 1
		except OSError:
			res['probeErrors'] += 1
		finally:
			conn.close()
		time.sleep(max(0., 0.5 - (time.perf_counter() - tstart)))
	closed = 0
	for sock in socks:
		try:
			closed += sock.recv(1) == b''
		except OSError:  # Reset: closed by the server too
			closed += 1
		sock.close()
	res['closed'] = closed
	with open(outpath, 'w') as fout:
		json.dump(res, fout)


# === The pool (a child process) ======================================================================

def _poolMain(nclients, seconds, outpath, switch, nidle=0):
	"""Run the pool with its Web UI for seconds (with nclients clients, or nidle idle connections); write the
	figures to outpath"""
	sys.path.insert(0, _ROOT)
	import mpepool
	import mpewui

	if switch:
		mpewui._SWITCH_INTERVAL = switch
	finished = {}

	def onfinish(job):
		finished[job.name] = time.perf_counter()

	app = mpewui.WebUiApp(host='127.0.0.1', port=0, name='bench')
	pool = mpepool.ExecPool(4, webuiapp=app, name='bench')
	tasks = [mpepool.Task('task{}'.format(i)) for i in range(3)]
	jobs = [mpepool.Job('j{}'.format(i), args=('sleep', '10'), timeout=0.2 + 0.2 * (i % 11) / 10
		, task=tasks[i % 3], category='c{}'.format(i % 4), onfinish=onfinish) for i in range(1000)]
	clients = idle = None
	if nclients:
		clientout = outpath + '.clients'
		clients = subprocess.Popen((sys.executable, os.path.abspath(__file__), '--clients', str(nclients)
			, '--clientproc', str(seconds), str(app.port), clientout, app.token))
	peak = {'fds': 0, 'threads': 0}
	if nidle:
		idleout = outpath + '.idle'
		idle = subprocess.Popen((sys.executable, os.path.abspath(__file__), '--idleproc', str(nidle), str(seconds)
			, str(app.port), idleout, app.token))
		tready = time.perf_counter() + 10
		while time.perf_counter() < tready and len(os.listdir('/proc/{}/fd'.format(idle.pid))) < nidle:
			time.sleep(0.01)  # Its connections are open (in the listen backlog or accepted)

		def sample():  # The pool process's descriptors and threads, every 50 ms of the phase
			while not done.wait(0.05):
				peak['fds'] = max(peak['fds'], len(os.listdir('/proc/self/fd')))
				peak['threads'] = max(peak['threads'], threading.active_count())
		done = threading.Event()
		sampler = threading.Thread(target=sample, daemon=True)
		sampler.start()
	own0 = resource.getrusage(resource.RUSAGE_SELF)
	tstart = time.perf_counter()
	for job in jobs:
		pool.execute(job)
	pool.join(seconds)  # Terminates the pool after seconds
	if idle is not None:
		done.set()
	own1 = resource.getrusage(resource.RUSAGE_SELF)
	wall = time.perf_counter() - tstart
	res = {'wall': wall, 'cpu': own1.ru_utime - own0.ru_utime + own1.ru_stime - own0.ru_stime
		, 'late': [finished[job.name] - (job.tstart + job.timeout) for job in jobs
		if job.reason == 'timeout' and job.name in finished], 'started': sum(1 for job in jobs if job.tstart is not None
		and job.reason != 'start failure'), 'startFailures': sum(1 for job in jobs if job.reason == 'start failure')
		, 'peak': peak}
	if idle is not None:
		idle.wait(seconds + 3 * _CLIENT_TIMEOUT)
		with open(idleout) as fin:
			res['idle'] = json.load(fin)
	if clients is not None:
		clients.wait(seconds + 3 * _CLIENT_TIMEOUT)
		with open(clientout) as fin:
			res['clients'] = json.load(fin)
	app.stop()
	with open(outpath, 'w') as fout:
		json.dump(res, fout)


def _runPhase(nclients, seconds, tmpdir, switch, nice, nidle=0):
	"""One phase in a child process -> its figures"""
	outpath = os.path.join(tmpdir, 'phase{}-{}.json'.format(nclients, nidle))
	with open(os.devnull, 'wb') as devnull:  # The pool's console, as a user's `> /dev/null 2>&1`
		subprocess.run((sys.executable, os.path.abspath(__file__), '--pool', str(nclients), str(seconds), outpath
			, str(switch), '--idle', str(nidle)), preexec_fn=(lambda: os.setpriority(os.PRIO_PROCESS, 0, nice)) if nice else None
			, stdout=devnull, stderr=devnull, check=True, timeout=seconds + 120)
	with open(outpath) as fin:
		return json.load(fin)


def _quantile(vals, q):
	vals = sorted(vals)
	return vals[min(len(vals) - 1, int(q * len(vals)))] if vals else float('nan')


def main():
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--clients', type=int, default=50)
	parser.add_argument('--seconds', type=float, default=10.)
	parser.add_argument('--rounds', type=int, default=1, help='phases of each kind, interleaved')
	parser.add_argument('--switchinterval', type=float, default=0., help='sys.setswitchinterval() of the pool'
		' process, s (0: as the Web UI sets it)')
	parser.add_argument('--nice', type=int, default=0, help='niceness of the pool process (negative: needs root;'
		' isolates it from the other programs of a shared machine, not from its own Web UI threads)')
	parser.add_argument('--idle', type=int, default=1000, help='idle connections of the third phase (0: none)')
	parser.add_argument('--pool', nargs=4, help=argparse.SUPPRESS)  # NCLIENTS SECONDS OUT SWITCH: a phase's child
	parser.add_argument('--clientproc', nargs=4, help=argparse.SUPPRESS)  # SECONDS PORT OUT TOKEN: the clients' child
	parser.add_argument('--idleproc', nargs=5, help=argparse.SUPPRESS)  # NIDLE SECONDS PORT OUT TOKEN: the idle one
	args = parser.parse_args()
	if args.pool:
		return _poolMain(int(args.pool[0]), float(args.pool[1]), args.pool[2], float(args.pool[3]), args.idle)
	if args.clientproc:
		return _clientsMain(args.clients, float(args.clientproc[0]), int(args.clientproc[1]), args.clientproc[2]
			, args.clientproc[3])
	if args.idleproc:
		return _idleMain(int(args.idleproc[0]), float(args.idleproc[1]), int(args.idleproc[2]), args.idleproc[3]
			, args.idleproc[4])
	nclients, seconds = max(1, min(args.clients, 200)), max(1., min(args.seconds, 60.))
	print('Web UI under load: ExecPool(4), 1000 queued `sleep 10` jobs with timeouts 0.2-0.4 s, {} s per phase{}{};'
		' load average {:.1f}'.format(seconds, ', switch interval {} s'.format(args.switchinterval)
		if args.switchinterval else '', ', pool niceness {}'.format(args.nice) if args.nice else '', os.getloadavg()[0]))
	nidle = max(0, min(args.idle, 3000))
	phases = {0: [], nclients: []}
	idles = []
	with tempfile.TemporaryDirectory(prefix='bench-webui-') as tmpdir:
		for _ in range(max(1, args.rounds)):
			for ncl in (0, nclients):
				phases[ncl].append(_runPhase(ncl, seconds, tmpdir, args.switchinterval, args.nice, 0))
			if nidle:
				idles.append(_runPhase(0, seconds, tmpdir, args.switchinterval, args.nice, nidle))
	row = '{:<34} {:>16} {:>16}'
	print(row.format('', 'no clients', '{} clients'.format(nclients)))
	late = {k: [x * 1000 for ph in v for x in ph['late']] for k, v in phases.items()}
	cpu = {k: statistics.median(ph['cpu'] for ph in v) for k, v in phases.items()}
	print(row.format('timeouts measured', len(late[0]), len(late[nclients])))
	for label, q in (('timeout lateness median, ms', 0.5), ('timeout lateness p95, ms', 0.95)
	, ('timeout lateness max, ms', 1.)):
		print(row.format(label, '{:.1f}'.format(_quantile(late[0], q)), '{:.1f}'.format(_quantile(late[nclients], q))))
	print(row.format('timeouts within {:.0f} ms of the deadline'.format(_TARGET_LATE_MS), *('{:.1%}'.format(
		sum(1 for x in late[k] if x <= _TARGET_LATE_MS) / max(1, len(late[k]))) for k in (0, nclients))))
	print(row.format('CPU of the pool process, s', '{:.2f}'.format(cpu[0]), '{:.2f}'.format(cpu[nclients])))
	cls = [ph['clients'] for ph in phases[nclients]]
	sent = sum(c['sent'] for c in cls)
	okay = sum(c['ok'] for c in cls)
	times = [t for c in cls for t in c['times']]
	errors = {}
	for c in cls:
		for key, num in c['errors'].items():
			errors[key] = errors.get(key, 0) + num
	status = {}
	for c in cls:
		for key, num in c['status'].items():
			status[key] = status.get(key, 0) + num
	print('Requests: {} sent, {} answered 200, {} unanswered {}, statuses {}; answer time median {:.1f} ms,'
		' p95 {:.1f} ms, max {:.1f} ms'.format(sent, okay, sum(errors.values()), errors or '', status
		, _quantile(times, 0.5) * 1000, _quantile(times, 0.95) * 1000, _quantile(times, 1.) * 1000))
	worst = max(_quantile(late[0], 1.), _quantile(late[nclients], 1.))
	print('Target: lateness <= {:.0f} ms with and without clients: max {:.1f} ms, ratio {:.2f}  {};'
		' every request answered: {}'.format(_TARGET_LATE_MS, worst, worst / _TARGET_LATE_MS, 'met'
		if worst <= _TARGET_LATE_MS else 'MISSED', 'met' if okay == sent else 'MISSED'))
	if idles:
		ilate = [x * 1000 for ph in idles for x in ph['late']]
		probes = [t * 1000 for ph in idles for t in ph['idle']['probes']]
		started, failed = sum(ph['started'] for ph in idles), sum(ph['startFailures'] for ph in idles)
		iworst = _quantile(ilate, 1.)
		print('{} idle connections held open: {} timeouts, lateness median {:.1f} ms, p95 {:.1f} ms, max {:.1f} ms;'
			' {} jobs started, {} start failures; pool process peak {} descriptors, {} threads; the server closed'
			' {} idle connections; a client behind them: {} answers (median {:.0f} ms, max {:.0f} ms), {} unanswered'
			.format(nidle, len(ilate), _quantile(ilate, 0.5), _quantile(ilate, 0.95), iworst, started, failed
			, max(ph['peak']['fds'] for ph in idles), max(ph['peak']['threads'] for ph in idles)
			, sum(ph['idle']['closed'] for ph in idles), len(probes), _quantile(probes, 0.5), _quantile(probes, 1.)
			, sum(ph['idle']['probeErrors'] for ph in idles)))
		print('Target with {} idle connections: lateness <= {:.0f} ms: max {:.1f} ms, ratio {:.2f}  {}; every job'
			' started: {}'.format(nidle, _TARGET_LATE_MS, iworst, iworst / _TARGET_LATE_MS, 'met' if iworst
			<= _TARGET_LATE_MS else 'MISSED', 'met' if started and not failed else 'MISSED'))
	return 0


if __name__ == '__main__':
	try:
		sys.exit(main())
	except (subprocess.SubprocessError, OSError, ValueError, KeyError) as err:
		print('The benchmark failed: {}'.format(err), file=sys.stderr)
		sys.exit(1)
