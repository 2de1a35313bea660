#!/usr/bin/env python3
"""Distribution pyexpool: the single-file modules mpepool (core) and mpewui (optional Web UI)"""
import glob
import os
import re

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))


def version():
	"""__version__ of mpepool.py, read without importing it"""
	with open(os.path.join(HERE, 'mpepool.py')) as fsrc:
		return re.search(r"^__version__ = '([^']+)'", fsrc.read(), re.M).group(1)


with open(os.path.join(HERE, 'README.md')) as freadme:
	README = freadme.read()

EXTRAS = {'balancing': ['psutil>=5'], 'webui': ['bottle>=0.12']}
EXTRAS['all'] = EXTRAS['balancing'] + EXTRAS['webui']
EXTRAS['test'] = EXTRAS['all'] + ['pytest', 'wheel']  # wheel: the packaging test builds offline

setup(
	name='pyexpool',
	version=version(),
	description='Multi-process execution pool for external programs with timeouts, memory limits measured'
		' on whole process trees, NUMA-aware CPU affinity, task hierarchies and a Web UI',
	long_description=README,
	long_description_content_type='text/markdown',
	license='Apache-2.0',
	py_modules=['mpepool', 'mpewui'],
	# The Web UI looks for its templates next to mpewui.py, in ./views and in <prefix>/share/pyexpool/views
	data_files=[('share/pyexpool/views', sorted(glob.glob('views/*.tpl') + glob.glob('views/*.md')))],
	python_requires='>=3.8',
	extras_require=EXTRAS,
	entry_points={'console_scripts': ['mpepool = mpepool:main']},
	classifiers=[
		'License :: OSI Approved :: Apache Software License',
		'Operating System :: POSIX :: Linux',
		'Programming Language :: Python :: 3',
		'Topic :: System :: Distributed Computing',
	],
)
