import sys

import click
from flask.cli import AppGroup

from ledger import db

journal = AppGroup("journal", help="The double-entry journal.")


@journal.command("export")
@click.option("--format", "fmt", type=click.Choice(["beancount"]), default="beancount", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: standard output).")
def export_command(fmt: str, output: str | None) -> None:
    """Write the journal with balance assertions at each closed period's end."""
    from contextlib import closing

    from ledger.journal.export import Stream

    handle = open(output, "w", encoding="utf-8") if output else sys.stdout
    try:
        # a read-only snapshot: writers carry on while the file is written
        with closing(Stream(db.database().read_session())) as chunks:
            for chunk in chunks:
                handle.write(chunk)
    finally:
        if output:
            handle.close()
    if output:
        click.echo(f"journal written to {output}", err=True)
