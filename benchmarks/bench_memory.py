#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Memory balancing benchmark of mpepool: reaction time, monitoring cost and queue scalability

Measures side by side in one run, with default settings (latency=0):
1. the time from a job crossing its memlim to its stop (the pool reaps it), over several runs;
2. the CPU cost of the pool process (os.times, user + system, children excluded) while 50 sleeping
   jobs run under memory monitoring (pool memlimit), as % of one core;
3. the time to enqueue 100,000 jobs with memlimit set (execute() while the only slot is busy), and the
   per-job scheduling cost (enqueue + dequeue) at 100,000 versus 10,000 jobs.

Usage: python3 benchmarks/bench_memory.py [-q]   (-q: fewer repetitions)
Needs psutil (memory monitoring is off without it).
"""
import contextlib
import io
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import mpepool  # noqa: E402
from mpepool import ExecPool, Job  # noqa: E402

PY = sys.executable
# The targets
TARGET_STOP = 0.5  # s from crossing memlim to the stop
TARGET_CPU = 1.5  # % of one core for 50 monitored sleeping jobs
TARGET_ENQUEUE = 1.  # s for 100,000 jobs
TARGET_RATIO = 1.2  # per-job cost at 100,000 / at 10,000


@contextlib.contextmanager
def quiet():
	"""Silence the pool's console messages"""
	with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
		yield


def benchStop(runs):
	"""Seconds from a job starting to allocate past its memlim to its stop: [s]"""
	# The child writes its CLOCK_MONOTONIC time right before allocating 80 MB past a 50 MB memlim; the
	# crossing happens after that moment, so the measure is an upper bound. The moment of the crossing is
	# spread over a whole sampling period across the runs: a fixed one would measure a lucky (or unlucky)
	# phase of the sampling instead of the reaction time.
	code = ('import sys, time; time.sleep(float(sys.argv[2])); f = open(sys.argv[1], "w"); f.write(repr(time.monotonic()));'
		' f.close(); b = bytearray(b"x") * (80 << 20); time.sleep(30)')
	res = []
	with tempfile.TemporaryDirectory() as tmp:
		for i in range(runs):
			mark = os.path.join(tmp, 'cross{}'.format(i))
			stopped = []
			delay = 0.3 + mpepool._MEM_PERIOD * i / runs
			job = Job('memlim{}'.format(i), args=(PY, '-c', code, mark, repr(delay)), memlim=0.05
				, onfinish=lambda job: stopped.append(time.monotonic()))
			with quiet(), ExecPool(1) as pool:
				pool.execute(job)
				pool.join(30)
			with open(mark) as fmark:
				res.append(stopped[0] - float(fmark.read()))
			assert job.reason == 'memory limit', job.reason
	return res


def benchCpu(njobs=50, window=8.):
	"""% of one core used by the pool process while njobs sleeping jobs run under memory monitoring"""
	done = threading.Event()
	result = {}
	pool = ExecPool(njobs, memlimit=min(8., mpepool._RAM_LIMIT))

	def measure():
		deadline = time.monotonic() + 60
		while len(pool._workers) < njobs and time.monotonic() < deadline:
			time.sleep(0.05)
		time.sleep(0.5)  # Let the last starts settle
		t0, c0, s0 = time.monotonic(), os.times(), len(pool._memtrace)
		time.sleep(window)
		t1, c1, s1 = time.monotonic(), os.times(), len(pool._memtrace)
		result['cpu'] = 100. * ((c1.user - c0.user) + (c1.system - c0.system)) / (t1 - t0)
		result['samples'] = (s1 - s0) / (t1 - t0)
		result['running'] = len(pool._workers)
		done.set()

	meter = threading.Thread(target=measure, daemon=True)
	with quiet():
		for i in range(njobs):
			pool.execute(Job('sleeper{}'.format(i), args=(PY, '-c', 'import time; time.sleep(60)')))
		meter.start()
		while not done.is_set():
			pool._cycle(time.perf_counter() + 0.5)  # The pool's event loop, as join() runs it
		pool.terminate()
	result['period'] = pool._memperiod
	return result


def benchQueue(njobs):
	"""(seconds to enqueue njobs with memlimit, seconds to dequeue them) with the only slot busy"""
	pool = ExecPool(1, memlimit=1.)
	with quiet():
		pool.execute(Job('blocker', args=(PY, '-c', 'import time; time.sleep(60)')))
	jobs = [Job('q{}'.format(i), args=('true',), category='c{}'.format(i % 7), size=1 + i % 13)
		for i in range(njobs)]
	t0 = time.perf_counter()
	for job in jobs:
		pool.execute(job)
	tenq = time.perf_counter() - t0
	assert len(pool._jobs) == njobs
	# Postponed jobs of each category make the chained postponement act on the dequeue path
	queue = pool._jobs
	for i in range(7):
		origin = Job('origin{}'.format(i), category='c{}'.format(i), size=7)
		origin.wkslim = 1
		queue.append(origin)
		queue.sink(origin)
	t0 = time.perf_counter()
	while queue:
		queue.popleft()
	tdeq = time.perf_counter() - t0
	with quiet():
		pool.terminate()
	return tenq, tdeq


def verdict(ok):
	return 'OK' if ok else 'MISSED'


def main():
	quick = '-q' in sys.argv[1:]
	if not mpepool._LIMIT_WORKERS_RAM:
		print('psutil is not available: memory monitoring is off, nothing to measure')
		return 1
	print('mpepool {} memory benchmark, {} CPUs, {:.1f} GB RAM, Python {}'.format(mpepool.__version__
		, os.cpu_count(), mpepool._RAM_SIZE, sys.version.split()[0]))
	stops = benchStop(3 if quick else 7)
	smax = max(stops)
	print('1. memlim crossing -> stop: median {:.3f} s, max {:.3f} s over {} runs; target <= {} s: '
		'{:.2f}x of the target, {}'.format(statistics.median(stops), smax, len(stops), TARGET_STOP
		, smax / TARGET_STOP, verdict(smax <= TARGET_STOP)))
	cpu = benchCpu(window=4. if quick else 8.)
	print('2. pool CPU with 50 monitored sleeping jobs: {:.2f}% of one core ({} running, {:.1f} samples/s,'
		' period {:.2f} s); target <= {}%: {:.2f}x of the target, {}'.format(cpu['cpu'], cpu['running']
		, cpu['samples'], cpu['period'], TARGET_CPU, cpu['cpu'] / TARGET_CPU, verdict(cpu['cpu'] <= TARGET_CPU)))
	enq10, deq10 = benchQueue(10000)
	enq100, deq100 = benchQueue(100000)
	print('3. enqueue of 100,000 jobs with memlimit: {:.3f} s; target < {} s: {:.2f}x of the target, {}'.format(
		enq100, TARGET_ENQUEUE, enq100 / TARGET_ENQUEUE, verdict(enq100 < TARGET_ENQUEUE)))
	per10 = (enq10 + deq10) / 10000
	per100 = (enq100 + deq100) / 100000
	ratio = per100 / per10
	print('   per-job scheduling (enqueue + dequeue): {:.2f} us at 10,000, {:.2f} us at 100,000; ratio {:.2f}'
		' (target <= {}): {}'.format(per10 * 1e6, per100 * 1e6, ratio, TARGET_RATIO, verdict(ratio <= TARGET_RATIO)))
	return 0


if __name__ == '__main__':
	sys.exit(main())
