#!/usr/bin/env python3
"""Throughput of the `mpepool` command line against GNU parallel on the same shell commands, in one run.

Each tool runs the same list of short shell commands with the same number of workers and a job log, three
times (the best time counts); the script prints jobs per second of both and their ratio. It is a
benchmark, not a test: it asserts nothing and prints the targets (mpepool >= 5x GNU parallel's rate, >= 3x
with -k --tag).

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


def main():
	"""Run the comparison and print the table"""
	parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	parser.add_argument('--jobs-count', type=int, default=2000, help='commands per run (default 2000)')
	parser.add_argument('-j', type=int, default=2, help='workers of both tools (default 2)')
	parser.add_argument('--repeat', type=int, default=3, help='runs of each tool, the best counts (default 3)')
	opts = parser.parse_args()
	gnu = shutil.which('parallel')
	env = dict(os.environ, PARALLEL_SHELL='/bin/sh')  # Both run the commands in the same shell
	env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
	print('{} commands, -j {}, best of {} runs; {}'.format(opts.jobs_count, opts.j, opts.repeat
		, 'GNU parallel: ' + subprocess.run([gnu, '--version'], stdout=subprocess.PIPE).stdout.decode()
		.split('\n')[0] if gnu else 'GNU parallel is not installed: mpepool alone'))
	print('{:>6} {:>8} {:>14} {:>14} {:>8}  {}'.format('load', 'mode', 'mpepool jobs/s', 'parallel jobs/s'
		, 'ratio', 'what'))
	with tempfile.TemporaryDirectory() as tmp:
		log = os.path.join(tmp, 'joblog')
		for name, (command, what) in WORKLOADS.items():
			stdin = ''.join(command(i) + '\n' for i in range(opts.jobs_count)).encode()
			for mode, extra in (('grouped', []), ('-k --tag', ['-k', '--tag']), ('ungroup', ['-u'])):
				mpe = min(runOnce([sys.executable, '-m', 'mpepool', '-j', str(opts.j), '--joblog', log] + extra
					, stdin, env) for _ in range(opts.repeat))
				assert countLogLines(log) == opts.jobs_count, 'mpepool logged every job'
				gnut = None
				if gnu:
					gnut = min(runOnce([gnu, '--will-cite', '-j', str(opts.j), '--joblog', log] + extra, stdin
						, env) for _ in range(opts.repeat))
					assert countLogLines(log) == opts.jobs_count, 'parallel logged every job'
				mrate = opts.jobs_count / mpe
				grate = opts.jobs_count / gnut if gnut else None
				print('{:>6} {:>8} {:>14.0f} {:>14} {:>8}  {}'.format(name, mode, mrate
					, '{:.0f}'.format(grate) if grate else '-', '{:.1f}x'.format(mrate / grate) if grate else '-'
					, what))
	print('target: mpepool >= 5x the rate of GNU parallel; with -k --tag >= 3x')


if __name__ == '__main__':
	main()
