"""snapshot-doctor lab CLI: simulated Azure Linux VMs (systemd-nspawn guests) on this machine.

  lab.py up [--guests N] [--fault GUEST=FAULT ...] [--wait-agent]
  lab.py down                      stop everything the lab started (idempotent, safe any time)
  lab.py status                    JSON: guests, ssh, agent processes, faults
  lab.py inventory                 print the path of the Ansible inventory (YAML)
  lab.py template [--force]        build (or reuse) the cached Debian 12 template
  lab.py fault list                every fault: name, check id, what it does
  lab.py fault apply NAME GUEST    put a fault into a guest
  lab.py fault undo NAME GUEST     take it out again
  lab.py fault observe NAME GUEST  is the fault visible from inside the guest? (exit 0 = present)
  lab.py ssh GUEST [COMMAND...]    ssh into a guest with the lab key

Run as root. State: $LAB_STATE (default /run/snapshot-doctor-lab), cache: $LAB_CACHE
(default /var/cache/snapshot-doctor-lab). See tests/lab/README.md.
"""
import argparse
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from snapshot_lab import config, faults, guests, lab, template  # noqa: E402


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


def parse_fault_spec(text):
    guest, sep, name = text.partition("=")
    if not sep or not guest or not name:
        raise argparse.ArgumentTypeError("expected GUEST=FAULT, got %r" % text)
    return guest, name


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lab.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the lab")
    up.add_argument("--guests", type=int, default=2)
    up.add_argument("--fault", action="append", default=[], type=parse_fault_spec,
                    metavar="GUEST=FAULT", help="apply a fault after boot (repeatable)")
    up.add_argument("--wait-agent", action="store_true",
                    help="also wait until the agent is Ready in every guest (~35 s)")
    sub.add_parser("down", help="stop the lab")
    sub.add_parser("status", help="show the lab")
    sub.add_parser("inventory", help="print the inventory path")
    build = sub.add_parser("template", help="build the template")
    build.add_argument("--force", action="store_true")
    fault = sub.add_parser("fault", help="fault registry")
    fault_sub = fault.add_subparsers(dest="action", required=True)
    fault_sub.add_parser("list")
    for action in ("apply", "undo", "observe"):
        one = fault_sub.add_parser(action)
        one.add_argument("name", choices=faults.names(), metavar="NAME")
        one.add_argument("guest")
    ssh = sub.add_parser("ssh", help="ssh into a guest")
    ssh.add_argument("guest")
    ssh.add_argument("remote", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.command == "fault" and args.action == "list":
        print(json.dumps([faults.REGISTRY[name].describe() for name in faults.names()], indent=2))
        return 0
    if os.geteuid() != 0:
        parser.error("the lab needs root (namespaces, mounts, systemd-nspawn)")

    # Ctrl-C or a kill during `up` must not leave namespaces, mounts or guests behind.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    try:
        if args.command == "up":
            state = lab.up(args.guests, args.fault, wait_agent=args.wait_agent)
            print(config.INVENTORY_FILE)
            return 0 if state else 1
        if args.command == "down":
            lab.down()
            return 0
        if args.command == "status":
            print(json.dumps(lab.status(), indent=2))
            return 0
        if args.command == "inventory":
            if not lab.is_up():
                print("the lab is not up", file=sys.stderr)
                return 1
            print(config.INVENTORY_FILE)
            return 0
        if args.command == "template":
            print(template.build(force=args.force))
            return 0
        if args.command == "fault":
            if args.action == "apply":
                lab.apply_fault(args.name, args.guest)
            elif args.action == "undo":
                lab.undo_fault(args.name, args.guest)
            else:
                present, evidence = lab.observe_fault(args.name, args.guest)
                print(json.dumps({"fault": args.name, "guest": args.guest, "present": present,
                                  "evidence": evidence}))
                return 0 if present else 1
            return 0
        if args.command == "ssh":
            state = lab.load_state()
            if not state or args.guest not in state["guests"]:
                print("no such guest: %s" % args.guest, file=sys.stderr)
                return 1
            argv = guests.ssh_command(state["guests"][args.guest], args.remote)
            os.execvp(argv[0], argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        if args.command == "up":
            lab.down()
        return 130
    except (RuntimeError, KeyError, ValueError) as error:
        print("lab: %s" % error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
