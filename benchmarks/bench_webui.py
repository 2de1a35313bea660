#!/usr/bin/env python3
"""Benchmark of the Web UI under load: the pool's timeout precision with and without 50 HTTP clients

Run from the repository root:  python3 benchmarks/bench_webui.py [--clients 50] [--seconds 10] [--rounds 1]

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

def _clientsMain(nclients, seconds, port, outpath):
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
				conn.request('GET', path)
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


# === The pool (a child process) ======================================================================

def _poolMain(nclients, seconds, outpath, switch):
	"""Run the pool with its Web UI for seconds (with nclients clients); write the figures to outpath"""
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
	clients = None
	if nclients:
		clientout = outpath + '.clients'
		clients = subprocess.Popen((sys.executable, os.path.abspath(__file__), '--clients', str(nclients)
			, '--clientproc', str(seconds), str(app.port), clientout))
	own0 = resource.getrusage(resource.RUSAGE_SELF)
	tstart = time.perf_counter()
	for job in jobs:
		pool.execute(job)
	pool.join(seconds)  # Terminates the pool after seconds
	own1 = resource.getrusage(resource.RUSAGE_SELF)
	wall = time.perf_counter() - tstart
	res = {'wall': wall, 'cpu': own1.ru_utime - own0.ru_utime + own1.ru_stime - own0.ru_stime
		, 'late': [finished[job.name] - (job.tstart + job.timeout) for job in jobs
		if job.reason == 'timeout' and job.name in finished]}
	if clients is not None:
		clients.wait(seconds + 3 * _CLIENT_TIMEOUT)
		with open(clientout) as fin:
			res['clients'] = json.load(fin)
	app.stop()
	with open(outpath, 'w') as fout:
		json.dump(res, fout)


def _runPhase(nclients, seconds, tmpdir, switch, nice):
	"""One phase in a child process -> its figures"""
	outpath = os.path.join(tmpdir, 'phase{}.json'.format(nclients))
	with open(os.devnull, 'wb') as devnull:  # The pool's console, as a user's `> /dev/null 2>&1`
		subprocess.run((sys.executable, os.path.abspath(__file__), '--pool', str(nclients), str(seconds), outpath
			, str(switch)), preexec_fn=(lambda: os.setpriority(os.PRIO_PROCESS, 0, nice)) if nice else None
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
	parser.add_argument('--pool', nargs=4, help=argparse.SUPPRESS)  # NCLIENTS SECONDS OUT SWITCH: a phase's child
	parser.add_argument('--clientproc', nargs=3, help=argparse.SUPPRESS)  # SECONDS PORT OUT: the clients' child
	args = parser.parse_args()
	if args.pool:
		return _poolMain(int(args.pool[0]), float(args.pool[1]), args.pool[2], float(args.pool[3]))
	if args.clientproc:
		return _clientsMain(args.clients, float(args.clientproc[0]), int(args.clientproc[1]), args.clientproc[2])
	nclients, seconds = max(1, min(args.clients, 200)), max(1., min(args.seconds, 60.))
	print('Web UI under load: ExecPool(4), 1000 queued `sleep 10` jobs with timeouts 0.2-0.4 s, {} s per phase{}{};'
		' load average {:.1f}'.format(seconds, ', switch interval {} s'.format(args.switchinterval)
		if args.switchinterval else '', ', pool niceness {}'.format(args.nice) if args.nice else '', os.getloadavg()[0]))
	phases = {0: [], nclients: []}
	with tempfile.TemporaryDirectory(prefix='bench-webui-') as tmpdir:
		for _ in range(max(1, args.rounds)):
			for ncl in (0, nclients):
				phases[ncl].append(_runPhase(ncl, seconds, tmpdir, args.switchinterval, args.nice))
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
	return 0


if __name__ == '__main__':
	try:
		sys.exit(main())
	except (subprocess.SubprocessError, OSError, ValueError, KeyError) as err:
		print('The benchmark failed: {}'.format(err), file=sys.stderr)
		sys.exit(1)
