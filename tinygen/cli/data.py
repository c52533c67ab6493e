"""``tinygen data info`` and ``tinygen data download NAME``."""

from __future__ import annotations

from .errors import UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="list or download datasets")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION")
    dsub.required = True
    info = dsub.add_parser("info", help="what is cached where")
    info.set_defaults(func=cmd_info)
    dl = dsub.add_parser("download", help="download a dataset into the cache")
    dl.add_argument("name", help="dataset name (see `tinygen data info`)")
    dl.add_argument("--force", action="store_true", help="download again even if present")
    dl.set_defaults(func=cmd_download)


def _size(n) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def cmd_info(args) -> int:
    from .. import data

    print(f"data folder: {data.data_dir()}  (set TINYGEN_DATA to use another)")
    for row in data.info():
        mark = "present" if row["present"] else "absent "
        size = _size(row["size"]) if row["present"] else ""
        print(f"  {row['dataset']:<16} {mark}  {row['path']}  {size}")
    print("embedded (generated offline): bars_and_stripes, ring, grid, synthetic_digits")
    return 0


def cmd_download(args) -> int:
    from .. import data

    names = data.datasets()
    if args.name not in names:
        raise UsageError(f"unknown dataset {args.name!r}; choose one of {', '.join(names)}")
    for path in data.download(args.name, force=args.force, progress=not args.quiet):
        print(f"ready: {path}")
    return 0
