#!/usr/bin/env python3
"""Throughput of the `mpepool` command line against GNU parallel and xargs on the same shell commands, in one run.

Each tool runs the same list of short shell commands (`true`, `echo line N`) with the same number of workers,
the runs of the tools interleaved, R times (the median counts; min..max shown): mpepool and GNU parallel
with a job log, grouped output, `-k --tag` and `-u`; plain `mpepool -j N` (no job log, grouped output)
against `xargs -P N -d '\\n' -n 1 sh -c`, which runs each line by the same shell. It is a benchmark, not a
test: it asserts nothing and prints the targets: with `-k --tag` >= 5x GNU parallel's rate, plain
>= 0.9x xargs' rate.

Usage: python benchmarks/bench_cli.py [--jobs-count 2000] [-j 2] [--repeat 3]
"""
import argparse
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


def runOnce(argv, stdin, env=None):
	"""Seconds taken by argv fed with stdin (bytes); raises if it fails"""
	tstart = time.perf_counter()
	res = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
	elapsed = time.perf_counter() - tstart
	if res.returncode != 0:
		raise RuntimeError('{} exited with {}: {}'.format(argv[:4], res.returncode, res.stderr.decode()[-500:]))
	return elapsed


def countLogLines(path):
	"""Jobs in a job log (lines without the header)"""
	with open(path, 'rb') as flog:
		return flog.read().count(b'\n') - 1


TARGETS = {'-k --tag': ('GNU parallel', 5.), 'plain': ('xargs', 0.9)}  # mode: (baseline, ratio >=)


def main():
	"""Run the comparison and print the table"""
	import statistics
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--jobs-count', type=int, default=2000, help='commands per run (default 2000)')
	parser.add_argument('-j', type=int, default=2, help='workers of the tools (default 2)')
	parser.add_argument('--repeat', type=int, default=3, help='runs of each tool, the median counts (default 3)')
	opts = parser.parse_args()
	gnu = shutil.which('parallel')
	env = dict(os.environ, PARALLEL_SHELL='/bin/sh')  # The tools run the commands in the same shell
	env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
	for name in ('PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED'):  # As a user runs it: see bench_core.py
		env.pop(name, None)
	print('{} commands, -j {}, medians of {} interleaved runs, load average {}; {}'.format(opts.jobs_count, opts.j
		, opts.repeat, ' '.join('{:.2f}'.format(v) for v in os.getloadavg()), 'GNU parallel: ' + subprocess.run(
		[gnu, '--version'], stdout=subprocess.PIPE).stdout.decode().split('\n')[0] if gnu
		else 'GNU parallel is not installed: mpepool alone'))
	print('{:>6} {:>9} {:>16} {:>13} {:>16} {:>7}  {}'.format('load', 'mode', 'mpepool jobs/s', 'baseline', 'its jobs/s'
		, 'ratio', 'target'))
	verdicts = []
	with tempfile.TemporaryDirectory() as tmp:
		log = os.path.join(tmp, 'joblog')
		for name, (command, what) in WORKLOADS.items():
			stdin = ''.join(command(i) + '\n' for i in range(opts.jobs_count)).encode()
			for mode, extra in (('grouped', []), ('-k --tag', ['-k', '--tag']), ('ungroup', ['-u']), ('plain', None)):
				if extra is None:  # Plain: no job log, against xargs running each line through the same shell
					mine = [sys.executable, '-m', 'mpepool', '-j', str(opts.j)]
					base, other = 'xargs', ['xargs', '-P', str(opts.j), '-d', '\n', '-n', '1', '/bin/sh', '-c']
				else:
					mine = [sys.executable, '-m', 'mpepool', '-j', str(opts.j), '--joblog', log] + extra
					base, other = ('GNU parallel', [gnu, '--will-cite', '-j', str(opts.j), '--joblog', log] + extra) if gnu else (None, None)
				rates, brates, ratios = [], [], []
				for _ in range(opts.repeat):
					rates.append(opts.jobs_count / runOnce(mine, stdin, env))
					if extra is not None:
						assert countLogLines(log) == opts.jobs_count, 'mpepool logged every job'
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
				print('{:>6} {:>9} {:>16} {:>13} {:>16} {:>7}  {}'.format(name, mode, '{:.0f} ({:.0f}..{:.0f})'.format(
					med(rates), min(rates), max(rates)), base or '-', '{:.0f} ({:.0f}..{:.0f})'.format(med(brates)
					, min(brates), max(brates)) if brates else '-', '{:.2f}x'.format(med(ratios)) if ratios else '-'
					, verdict))
	print('targets (medians of the per-run ratios): ' + ('; '.join(verdicts) or '-'))
	print('load average at the end: {}'.format(' '.join('{:.2f}'.format(v) for v in os.getloadavg())))


if __name__ == '__main__':
	main()
