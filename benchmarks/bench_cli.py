#!/usr/bin/env python3
"""Throughput of the `mpepool` command line against GNU parallel and xargs on the same shell commands, in one run.

Each tool runs the same list of short shell commands (`true`, `echo line N`) with the same number of workers,
the runs of the tools interleaved, R times (the median counts; min..max shown): mpepool and GNU parallel
with a job log, grouped output, `-k --tag` and `-u`; plain `mpepool -j N` (no job log, grouped output;
also with `--cgroups off`: what a cgroup per job costs) against `xargs -P N -d '\\n' -n 1 sh -c`, which runs
each line by the same shell. It is a benchmark, not a test: it asserts nothing and prints the targets: with
`-k --tag` >= 5x GNU parallel's rate, plain >= 0.9x xargs' rate.

Usage: python benchmarks/bench_cli.py [--jobs-count 2000] [-j 2] [--repeat 3] [--modes M,..] [--old PATH] [--steps]

--old PATH: a folder holding an older mpepool.py, run alternated with this one (its rate and the ratio of
ours to it shown). --steps: instead of the comparison, the cost of each step of the command line per job
in µs of the main thread (bench_steps.py's exclusive timers: CPU and wall), with -k --tag and plain, over
`true` and `echo`, and the command line alone without timers (over a pool that runs nothing: the timers
inflate small steps); with --old the runs of both alternate and the table shows both.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (the shell command of job i, what it stands for)
WORKLOADS = {
	'true': (lambda i: 'true', 'no work, no output: the cost of a job'),
	'echo': (lambda i: 'echo line {}'.format(i), 'one line of output per job'),
}


def runOnce(argv, stdin, env=None, cwd=None):
	"""Seconds taken by argv fed with stdin (bytes); raises if it fails"""
	tstart = time.perf_counter()
	res = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
	elapsed = time.perf_counter() - tstart
	if res.returncode != 0:
		raise RuntimeError('{} exited with {}: {}'.format(argv[:4], res.returncode, res.stderr.decode()[-500:]))
	return elapsed


def countLogLines(path):
	"""Jobs in a job log (lines without the header)"""
	with open(path, 'rb') as flog:
		return flog.read().count(b'\n') - 1


# --steps: (step, the functions charged to it: (owner name in mpepool, attribute)); the pool's own work is
# the exclusive time of ExecPool.execute and ExecPool.join (the command line's callbacks taken off)
STEPS = (
	('startup: options, input, jobs, pool (per job)', (('', '_cliParse'), ('', '_cliJobs'), ('', '_cliEnvironment')
		, ('', '_cliShell'), ('_CliRun', '__init__'), ('ExecPool', '__init__'), ('_CliRun', 'execute'))),
	('command: the template filled', (('_CliTemplate', 'fill'), ('_CliTemplate', '_value'), ('', '_cliQuote'))),
	('Job(): its arguments checked', (('Job', '__init__'),)),
	('attempt: slot, name, arguments', (('_CliRun', '_execute'), ('_CliRun', 'feed'))),
	('outputs: temporary files taken, emptied', (('_CliRun', '_tmpfd'), ('_CliRun', '_openOutputs')
		, ('_CliRun', '_closeOutputs'), ('_CliRun', '_endCompress'))),
	('printing: -k order, --tag, copy out', (('_CliRun', '_printFinished'), ('_CliRun', '_printHeld')
		, ('_CliRun', '_emit'), ('_CliRun', '_copyOut'), ('_CliRun', '_write'), ('_CliRun', '_tagOf')
		, ('', '_cliTagged'), ('_CliRun', '_output'), ('_CliRun', '_outputSize'))),
	('finish: job log line, exit status, counters', (('', '_cliLogLine'), ('', '_cliExitval')
		, ('_CliRun', '_onfinish'), ('_CliRun', '_onstart'), ('_CliRun', '_dropBlock'))),
	('pool: execute() (queue, start, spawn, placement)', (('ExecPool', 'execute'),)),
	('pool: join() (wait, reap, accounting, completion)', (('ExecPool', 'join'),)),
)
STEP_MODES = (('-k --tag', ['--joblog', None, '-k', '--tag']), ('plain', []))  # mode: options (None: the log's path)


class StubPool(object):
	"""--steps: a pool that runs nothing, each job completed at once as a `true` would be: what remains of a
	run is the command line's own work, measured without timers"""

	class Launcher(object):
		def host(self, job):
			return None

	def __init__(self, wksnum, **kwargs):
		self._wkslim = wksnum
		self.alive = True
		self._workers = set()
		self._launcher = self.Launcher()

	def execute(self, job):
		job.tstart = time.perf_counter()
		job.proc = subprocess.CompletedProcess(job.args, 0)  # returncode 0
		job.proc.pid = 1
		job.wtime, job.utime, job.stime, job.rssmax = 0.001, 0., 0., 0.001
		if job.onstart:
			job.onstart()
		job.tstop = time.perf_counter()
		job.onfinish()
		return 0

	def join(self):
		return True

	def terminate(self):
		pass


def stepsChild(root, workload, mode, count, workers, stub=False):
	"""--steps in a fresh interpreter: run mpepool.main() with the steps timed (stub: over StubPool, untimed);
	returns what the parent tabulates"""
	sys.path.insert(0, os.path.join(REPO, 'benchmarks'))
	sys.path.insert(0, root)
	import bench_steps
	import mpepool
	stats = {}
	wrap = bench_steps._wrapper(stats)
	cost = bench_steps._calibrate(wrap, stats)
	if stub:
		mpepool.ExecPool = StubPool
	for step, fns in STEPS if not stub else ():
		for owner, name in fns:
			host = getattr(mpepool, owner) if owner else mpepool
			fn = host.__dict__.get(name)
			if fn is not None:
				setattr(host, name, staticmethod(wrap(step, fn.__func__)) if isinstance(fn, staticmethod)
					else wrap(step, fn))
	with tempfile.TemporaryDirectory() as tmp:
		path = os.path.join(tmp, 'input')
		with open(path, 'w') as finp:
			finp.write(''.join(WORKLOADS[workload][0](i) + '\n' for i in range(count)))
		argv = ['-j', str(workers)] + [os.path.join(tmp, 'joblog') if opt is None else opt
			for opt in dict(STEP_MODES)[mode]]
		ifd, ofd, saved = os.open(path, os.O_RDONLY), os.open(os.devnull, os.O_WRONLY), os.dup(1)
		os.dup2(ifd, 0)
		os.dup2(ofd, 1)  # The jobs' output, as `> /dev/null`; the parent reads our result on the saved one
		c0, w0 = time.thread_time(), time.perf_counter()
		status = mpepool.main(argv)
		wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
		os.dup2(saved, 1)
	assert status == 0, status
	(incpu, inwall), (outcpu, outwall) = cost
	return {'wall': wall / count * 1e6, 'cpu': cpu / count * 1e6, 'steps': {step: (
		(scpu - calls * incpu - inner * outcpu) / count * 1e6, (swall - calls * inwall - inner * outwall) / count * 1e6
		, calls / count) for step, (scpu, swall, calls, inner) in stats.items()}}


def steps(opts, env):
	"""--steps: the table of the command line's steps, µs per job (medians of the runs)"""
	import statistics
	med = statistics.median
	roots = ([os.path.abspath(opts.old)] if opts.old else []) + [REPO]
	names = ['before', 'now'] if opts.old else ['now']
	print('--steps: {} commands, -j {}, medians of {} runs{}, load average {}; µs of the main thread per job, CPU / wall'
		.format(opts.jobs_count, opts.j, opts.repeat, ', alternated with ' + opts.old if opts.old else ''
		, ' '.join('{:.2f}'.format(v) for v in os.getloadavg())))
	for workload in WORKLOADS:
		for mode, _ in STEP_MODES:
			runs = {root: [] for root in roots}
			stubs = {root: [] for root in roots}
			for _ in range(opts.repeat):
				for root in roots:
					for stub, res in (([], runs), (['--stub'], stubs)):
						out = subprocess.run([sys.executable, os.path.abspath(__file__), '--steps-child', root, '--workload'
							, workload, '--mode', mode, '--jobs-count', str(opts.jobs_count), '-j', str(opts.j)] + stub
							, env=env, stdout=subprocess.PIPE, check=True).stdout.decode().strip().split('\n')[-1]
						res[root].append(json.loads(out))
			print('\n{} {}: | step | {} |'.format(workload, mode, ' | '.join(names)))
			for step, _ in STEPS:
				print('| {} | {} |'.format(step, ' | '.join('{:.1f} / {:.1f}'.format(med(run['steps'].get(step, (0, 0))[0]
					for run in runs[root]), med(run['steps'].get(step, (0, 0))[1] for run in runs[root])) for root in roots)))
			print('| the command line\'s own steps (not the pool\'s) | {} |'.format(' | '.join('{:.1f} / {:.1f}'.format(
				*(med(sum(val[i] for step, val in run['steps'].items() if not step.startswith('pool:')) for run in runs[root])
				for i in (0, 1))) for root in roots)))
			print('| the main thread in all, CPU / wall | {} |'.format(' | '.join('{:.1f} / {:.1f}'.format(
				med(run['cpu'] for run in runs[root]), med(run['wall'] for run in runs[root])) for root in roots)))
			print('| the command line alone, untimed: the same over a pool that runs nothing | {} |'.format(' | '.join(
				'{:.1f} / {:.1f}'.format(med(run['cpu'] for run in stubs[root]), med(run['wall'] for run in stubs[root]))
				for root in roots)))
			print('| rate, jobs/s (main() alone, without the interpreter\'s start) | {} |'.format(' | '.join('{:.0f}'.format(
				1e6 / med(run['wall'] for run in runs[root])) for root in roots)))
	print('load average at the end: {}'.format(' '.join('{:.2f}'.format(v) for v in os.getloadavg())))


TARGETS = {'-k --tag': ('GNU parallel', 5.), 'plain': ('xargs', 0.9)}  # mode: (baseline, ratio >=)


def main():
	"""Run the comparison and print the table"""
	import statistics
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--jobs-count', type=int, default=2000, help='commands per run (default 2000)')
	parser.add_argument('-j', type=int, default=2, help='workers of the tools (default 2)')
	parser.add_argument('--repeat', type=int, default=3, help='runs of each tool, the median counts (default 3)')
	parser.add_argument('--modes', default='grouped,-k --tag,ungroup,plain,plain --cgroups off', help='the modes to'
		' run, comma-separated (default all: grouped,-k --tag,ungroup,plain,plain --cgroups off)')
	parser.add_argument('--old', metavar='PATH', help='a folder with an older mpepool.py, alternated with this one')
	parser.add_argument('--steps', action='store_true', help="the command line's steps in µs per job instead")
	parser.add_argument('--steps-child', metavar='ROOT', help=argparse.SUPPRESS)
	parser.add_argument('--workload', choices=WORKLOADS, help=argparse.SUPPRESS)
	parser.add_argument('--mode', choices=dict(STEP_MODES), help=argparse.SUPPRESS)
	parser.add_argument('--stub', action='store_true', help=argparse.SUPPRESS)
	opts = parser.parse_args()
	if opts.old and not os.path.isfile(os.path.join(opts.old, 'mpepool.py')):
		parser.error('--old {!r}: no mpepool.py there'.format(opts.old))
	if opts.steps_child:
		print(json.dumps(stepsChild(opts.steps_child, opts.workload, opts.mode, opts.jobs_count, opts.j
			, opts.stub)))
		return
	gnu = shutil.which('parallel')
	env = dict(os.environ, PARALLEL_SHELL='/bin/sh')  # The tools run the commands in the same shell
	env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
	for name in ('PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED'):  # As a user runs it: see bench_core.py
		env.pop(name, None)
	if opts.steps:
		steps(opts, env)
		return
	oldenv = dict(env, PYTHONPATH=os.path.abspath(opts.old) + os.pathsep + os.environ.get('PYTHONPATH', '')
		) if opts.old else None
	print('{} commands, -j {}, medians of {} interleaved runs, load average {}; {}'.format(opts.jobs_count, opts.j
		, opts.repeat, ' '.join('{:.2f}'.format(v) for v in os.getloadavg()), 'GNU parallel: ' + subprocess.run(
		[gnu, '--version'], stdout=subprocess.PIPE).stdout.decode().split('\n')[0] if gnu
		else 'GNU parallel is not installed: mpepool alone'))
	print('{:>6} {:>19} {:>16} {:>13} {:>16} {:>7}  {}'.format('load', 'mode', 'mpepool jobs/s', 'baseline', 'its jobs/s'
		, 'ratio', 'target') + ('  |  {} jobs/s, ours / its'.format(opts.old) if opts.old else ''))
	verdicts = []
	with tempfile.TemporaryDirectory() as tmp:
		log = os.path.join(tmp, 'joblog')
		for name, (command, what) in WORKLOADS.items():
			stdin = ''.join(command(i) + '\n' for i in range(opts.jobs_count)).encode()
			for mode, extra in (('grouped', []), ('-k --tag', ['-k', '--tag']), ('ungroup', ['-u']), ('plain', None)
			, ('plain --cgroups off', None)):
				if mode not in opts.modes.split(','):
					continue
				if extra is None:  # Plain: no job log, against xargs running each line through the same shell;
					# and without a cgroup per job: what the default launcher's cgroups cost
					mine = [sys.executable, '-m', 'mpepool', '-j', str(opts.j)] + mode.split()[1:]
					base, other = 'xargs', ['xargs', '-P', str(opts.j), '-d', '\n', '-n', '1', '/bin/sh', '-c']
				else:
					mine = [sys.executable, '-m', 'mpepool', '-j', str(opts.j), '--joblog', log] + extra
					base, other = ('GNU parallel', [gnu, '--will-cite', '-j', str(opts.j), '--joblog', log] + extra) if gnu else (None, None)
				rates, brates, ratios, orates, oratios = [], [], [], [], []
				for _ in range(opts.repeat):
					rates.append(opts.jobs_count / runOnce(mine, stdin, env, cwd=tmp))  # Not in the repository
					# (`python -m` looks in the current folder first)
					if extra is not None:
						assert countLogLines(log) == opts.jobs_count, 'mpepool logged every job'
					if oldenv:
						orates.append(opts.jobs_count / runOnce(mine, stdin, oldenv, cwd=tmp))
						if extra is not None:
							assert countLogLines(log) == opts.jobs_count, 'the old mpepool logged every job'
						oratios.append(rates[-1] / orates[-1])
					if other:
						brates.append(opts.jobs_count / runOnce(other, stdin, env))
						if extra is not None:
							assert countLogLines(log) == opts.jobs_count, 'parallel logged every job'
						ratios.append(rates[-1] / brates[-1])
				med = statistics.median
				target = TARGETS.get(mode)
				verdict = ''
				if target and ratios:
					verdict = '>= {}x {}: {}'.format(target[1], target[0], 'MET' if med(ratios) >= target[1] else 'MISSED')
					verdicts.append('{} {}: {:.2f}x {}'.format(name, mode, med(ratios), verdict))
				print('{:>6} {:>19} {:>16} {:>13} {:>16} {:>7}  {}'.format(name, mode, '{:.0f} ({:.0f}..{:.0f})'.format(
					med(rates), min(rates), max(rates)), base or '-', '{:.0f} ({:.0f}..{:.0f})'.format(med(brates)
					, min(brates), max(brates)) if brates else '-', '{:.2f}x'.format(med(ratios)) if ratios else '-'
					, verdict) + ('  |  {:.0f} ({:.0f}..{:.0f}), {:.2f}x'.format(med(orates), min(orates), max(orates)
					, med(oratios)) if orates else ''))
	print('targets (medians of the per-run ratios): ' + ('; '.join(verdicts) or '-'))
	print('load average at the end: {}'.format(' '.join('{:.2f}'.format(v) for v in os.getloadavg())))


if __name__ == '__main__':
	main()
