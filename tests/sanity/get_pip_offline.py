"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test runs this file in a fresh virtual environment as `python get_pip.py [pip options] pip==X`,
exactly like upstream get-pip.py. That download is not reachable here, so we bootstrap pip from the
interpreter's bundled ensurepip wheel, then let that pip install the requested version from the
package index. The Makefile places it where ansible-test looks for its cached copy.
"""
import os
import ssl
import ensurepip
import subprocess
import sys

# Options only get-pip.py understands; `pip install` would reject them.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def system_ca_options():
    """Trust the system CA store, as pip >= 24.2 does by default; the bundled pip only knows certifi's.

    ansible-test strips the environment, so a site CA given through PIP_CERT would otherwise be lost.
    """
    cafile = ssl.get_default_verify_paths().cafile
    return ["--cert", cafile] if cafile and os.path.isfile(cafile) else []


def main():
    ensurepip.bootstrap(upgrade=False, default_pip=True)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    return subprocess.call([sys.executable, "-m", "pip", "install"] + system_ca_options() + args)


if __name__ == "__main__":
    sys.exit(main())
