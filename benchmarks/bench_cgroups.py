#!/usr/bin/env python3
"""Benchmark of the per-job cgroups : their cost and the exactness they buy

Run from the repository root:  python3 benchmarks/bench_cgroups.py [--jobs N] [--repeat R]

Measured side by side in one run (rates: the median of R interleaved rounds, min..max shown):
1. Overhead: N `true` jobs on ExecPool(2) with cgroups (the default where usable) and cgroups=False,
	each pool in a child process (this script with --child) whose console goes to /dev/null; per job:
	the pool's wall time, its process's CPU time and the cgroup steps timed inside the child (take =
	make or reuse and prepare the cgroup, place = enter and leave it around the fork, reap = the
	launcher's work after wait4: kill what is left, wait until empty, read the figures, keep or remove
	the cgroup, against LocalLauncher's reap without cgroups). On a loaded machine the wall time is
	noisy; the CPU time and the steps are not.
2. Throughput: the same runs as whole commands (interpreter start included) against `xargs -P 2 -n 1
	true` on the same input; the ratio of the rates, with cgroups and with cgroups=False.
3. memlim overshoot: a job that touches 400 MB in 10 MB steps under memlim 100 MB; the bytes above
	the limit that it held: the cgroup's peak with cgroups, its ru_maxrss (os.wait4) without.
4. Accuracy: jobs touching 10, 50 and 300 MB (a pool holding 400 MB of its own, so that wait4 can not
	tell them): `dd bs=<N>M count=1 if=/dev/zero of=/dev/null` (a buffer of N MB, filled by the read;
	dd itself needs ~1 MB) against N MB: the cgroup's peak within 5% + 2 MB of it; a Python job touching
	N MB against its own peak RSS (VmHWM, read at its end; it counts the interpreter's shared library
	pages, which the cgroup does not: they were charged to whoever read them first); and a job whose
	detached grandchild (own session, never waited for) burns 1 s of CPU while the job sleeps: the CPU
	time reported, >= 0.95 s.
This is a script, not a test: it prints the figures and the targets; exit 0 unless it failed itself.
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
sys.path.insert(0, _ROOT)
import mpepool  # noqa: E402
from mpetests import DETACHED_BURN  # noqa: E402 (the tests' job: a grandchild burns argv[1] s of CPU)

_TARGET_MS = 1.0  # Per-job overhead of a cgroup, ms <= (at most 1.5)
_TARGET_XARGS_OFF = 1.0  # mpepool (cgroups=False) rate / xargs rate >=

# The job of the overshoot measurement: touches 400 MB in 10 MB steps, 10 ms apart
_GROW = 'import time\nbufs = []\nfor _ in range(40):\n\tbufs.append(b"1" * (10 << 20))\n\ttime.sleep(0.01)\n'
# A job touching sys.argv[1] MB that prints its own peak RSS (kB) at its end
_TOUCH = ('import sys\nbuf = b"1" * (int(sys.argv[1]) << 20)\n'
	'print([line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")][0])\n')
# === The pool side of the overhead runs (a child process) =============================================

def _childMain(cgroups, count, outpath):
	"""Run count `true` jobs on ExecPool(2); write the wall time and the cgroup steps' times as JSON"""
	steps = {'take': 0., 'place': 0., 'reap': 0.}
	launcher = mpepool.CgroupLauncher

	def timed(name, func):
		def wrapper(*args, **kwargs):
			t0 = time.perf_counter()
			try:
				return func(*args, **kwargs)
			finally:
				steps[name] += time.perf_counter() - t0
		return wrapper

	launcher._take = timed('take', launcher._take)
	launcher.reaped = timed('reap', launcher.reaped)
	mpepool.LocalLauncher.reaped = timed('reap', mpepool.LocalLauncher.reaped)  # Without cgroups
	placing = mpepool._JobCgroup.placing

	class Placing(object):  # Times the entry into and the exit from the cgroup, not the fork between them
		def __init__(self, cgroup):
			self.ctx = placing(cgroup)

		def __enter__(self):
			t0 = time.perf_counter()
			self.ctx.__enter__()
			steps['place'] += time.perf_counter() - t0

		def __exit__(self, *exc):
			t0 = time.perf_counter()
			self.ctx.__exit__(*exc)
			steps['place'] += time.perf_counter() - t0

	mpepool._JobCgroup.placing = lambda cgroup: Placing(cgroup)
	pool = mpepool.ExecPool(2, cgroups=cgroups)
	tstart = time.perf_counter()
	cpu0 = time.process_time()
	for i in range(count):
		pool.execute(mpepool.Job('t{}'.format(i), args=('true',)))
	pool.join()
	wall = time.perf_counter() - tstart
	res = {'wall': wall, 'cpu': time.process_time() - cpu0, 'steps': steps, 'launcher': type(pool._launcher).__name__
		, 'failed': len(pool.failures), 'accounting': sorted({info.accounting for info in pool._history})}
	with open(outpath, 'w') as fout:
		json.dump(res, fout)


def _runChild(cgroups, count, tmpdir):
	"""(whole wall seconds of the child, its figures)"""
	outpath = os.path.join(tmpdir, 'res.json')
	cmd = (sys.executable, os.path.abspath(__file__), '--child', str(cgroups), str(count), outpath)
	tstart = time.perf_counter()
	subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
	wall = time.perf_counter() - tstart
	with open(outpath) as fin:
		return wall, json.load(fin)


def _spread(values, fmt='{:.3f}'):
	return '{} ({}..{})'.format(fmt.format(statistics.median(values)), fmt.format(min(values)), fmt.format(max(values)))


# === The measurements ================================================================================

def _overhead(count, repeat, tmpdir):
	seqpath = os.path.join(tmpdir, 'seq')
	with open(seqpath, 'w') as fseq:
		fseq.write('\n'.join(map(str, range(count))) + '\n')
	meas = {key: [] for key in ('on_ms', 'off_ms', 'on_cpu', 'off_cpu', 'r_on', 'r_off', 'take', 'place', 'reap', 'reap_off')}
	launcher = None
	for _ in range(repeat):
		whole_on, on = _runChild(None, count, tmpdir)
		whole_off, off = _runChild(False, count, tmpdir)
		tstart = time.perf_counter()
		subprocess.run('xargs -P 2 -n 1 true < {}'.format(seqpath), shell=True, check=True)
		xargs = time.perf_counter() - tstart
		launcher = on['launcher'], on['accounting'], off['accounting']
		meas['on_ms'].append(on['wall'] / count * 1e3)
		meas['off_ms'].append(off['wall'] / count * 1e3)
		meas['on_cpu'].append(on['cpu'] / count * 1e3)
		meas['off_cpu'].append(off['cpu'] / count * 1e3)
		meas['reap_off'].append(off['steps']['reap'] / count * 1e3)
		meas['r_on'].append(xargs / whole_on)
		meas['r_off'].append(xargs / whole_off)
		for step in ('take', 'place', 'reap'):
			meas[step].append(on['steps'][step] / count * 1e3)
	over = [a - b for a, b in zip(meas['on_ms'], meas['off_ms'])]
	overcpu = [a - b for a, b in zip(meas['on_cpu'], meas['off_cpu'])]
	steps = [t + p + r - o for t, p, r, o in zip(meas['take'], meas['place'], meas['reap'], meas['reap_off'])]
	print('1. {} `true` jobs on 2 workers, launcher {} (accounting {}; cgroups=False: {})'.format(count, *launcher))
	print('   pool wall time per job: cgroups {} ms, cgroups=False {} ms'.format(_spread(meas['on_ms']), _spread(meas['off_ms'])))
	print('   pool process CPU per job: cgroups {} ms, cgroups=False {} ms'.format(_spread(meas['on_cpu']), _spread(meas['off_cpu'])))
	print('   overhead of a cgroup per job (target <= {} ms, at most 1.5): wall {} ms, pool CPU {} ms,'
		' the cgroup steps {} ms'.format(_TARGET_MS, _spread(over), _spread(overcpu), _spread(steps)))
	print('   the steps per job (ms): take {}, place {}, reap {} (without cgroups {})'.format(
		_spread(meas['take']), _spread(meas['place']), _spread(meas['reap']), _spread(meas['reap_off'])))
	print('2. throughput ratio to xargs -P2: default (cgroups) {}x, cgroups=False {}x (target >= {}x)'.format(
		_spread(meas['r_on'], '{:.2f}'), _spread(meas['r_off'], '{:.2f}'), _TARGET_XARGS_OFF))


def _overshoot():
	limit = 100 << 20
	res = {}
	for cgroups in (None, False):
		with open(os.devnull, 'w') as null:
			pool = mpepool.ExecPool(1, cgroups=cgroups)
			job = mpepool.Job('grow', args=(sys.executable, '-c', _GROW), memlim=mpepool.inGigabytes(limit), stderr=null)
			stdout, stderr = sys.stdout, sys.stderr
			sys.stdout = sys.stderr = null
			try:
				pool.execute(job)
				pool.join(60)
			finally:
				sys.stdout, sys.stderr = stdout, stderr
				pool.terminate()
		held = mpepool.inBytes(job.rssmax) if job.rssmax is not None else float('nan')
		res[cgroups] = (job.accounting, job.reason, max(0., held - limit) / (1 << 20))
	print('3. memlim 100 MB, a job touching 400 MB in 10 MB steps: MB held above the limit: cgroups {2:.1f} ({0}, {1}),'
		' cgroups=False {5:.1f} ({3}, {4}) (target with cgroups: 0)'.format(*res[None], *res[False]))


def _run(args, cgroups, **kwargs):
	"""A job run alone in a pool (its console messages to /dev/null); return it"""
	pool = mpepool.ExecPool(1, cgroups=cgroups)
	job = mpepool.Job(args[0], args=args, **kwargs)
	with open(os.devnull, 'w') as null:
		stdout, sys.stdout = sys.stdout, null
		try:
			pool.execute(job)
			pool.join(60)
		finally:
			sys.stdout = stdout
			pool.terminate()
	return job


def _mb(gbytes):
	return '{:.1f} MB'.format(mpepool.inBytes(gbytes) / (1 << 20)) if gbytes is not None else 'None'


def _accuracy():
	ballast = b'1' * (400 << 20)  # noqa: F841 (this process's peak stays above the jobs')
	rows = []
	for mbytes in (10, 50, 300):
		ddargs = ('dd', 'bs={}M'.format(mbytes), 'count=1', 'if=/dev/zero', 'of=/dev/null')
		peak, wait4 = (_run(ddargs, cgroups, stderr=subprocess.DEVNULL).rssmax for cgroups in (None, False))
		off = mpepool.inBytes(peak) / (1 << 20) - mbytes if peak is not None else float('nan')
		rows.append('dd {} MB: cgroup peak {} ({:+.1f} MB: {}), wait4 rssmax {}'.format(mbytes, _mb(peak), off
			, 'within 5% + 2 MB' if abs(off) <= 0.05 * mbytes + 2 else 'OFF', _mb(wait4)))
		job = _run((sys.executable, '-c', _TOUCH, str(mbytes)), None, stdout=subprocess.PIPE)
		rows.append('python {} MB: cgroup peak {}, its own peak RSS (VmHWM) {:.1f} MB'.format(mbytes, _mb(job.rssmax)
			, int(job.pipedout.split()[0]) / 1024.))
	print('4. peaks of jobs smaller than the pool (400 MB):\n   ' + '\n   '.join(rows))
	cpu = {}
	with tempfile.TemporaryDirectory(prefix='bench-cgroups-') as tmpdir:
		for cgroups in (None, False):
			job = _run((sys.executable, '-c', DETACHED_BURN, '1.0', os.path.join(tmpdir, str(cgroups))), cgroups)
			cpu[cgroups] = (job.utime or 0) + (job.stime or 0)
	print('   a detached grandchild burning 1 s of CPU: cgroups {:.3f} s (target >= 0.95), cgroups=False {:.3f} s'.format(
		cpu[None], cpu[False]))


def main():
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--jobs', type=int, default=2000, help='`true` jobs per overhead run')
	parser.add_argument('--repeat', type=int, default=3, help='interleaved rounds of the overhead runs')
	parser.add_argument('--child', nargs=3, help=argparse.SUPPRESS)
	args = parser.parse_args()
	if args.child:
		cgroups, count, outpath = args.child
		_childMain({'None': None, 'False': False}[cgroups], int(count), outpath)
		return 0
	caps, why = mpepool._cgroupCaps()
	print('cgroups: {}{}'.format(caps, '; ' + why if why else ''))
	if caps is None:
		print('no cgroup is usable here: the cgroup figures below are the fallback\'s')
	with tempfile.TemporaryDirectory(prefix='bench-cgroups-') as tmpdir:
		_overhead(args.jobs, args.repeat, tmpdir)
	_overshoot()
	_accuracy()
	return 0


if __name__ == '__main__':
	sys.exit(main())
