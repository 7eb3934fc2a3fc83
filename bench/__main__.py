"""Entry point of `make bench`."""

from __future__ import annotations


def main() -> None:
    print("no benchmarks yet: they arrive with ingestion and scoring (see docs/performance.md)")


if __name__ == "__main__":
    main()
