"""Start the action server on loopback: `.venv-rasa/bin/python -m actions --port 5055`.

Why not `rasa run actions`: rasa-sdk 3.6.2 binds 0.0.0.0 unless SANIC_HOST is set and allows
CORS from every origin by default. The action server is internal (only the Rasa server on the same
machine calls it), so this launcher builds rasa-sdk's own Sanic app and binds a loopback address
only, with CORS off. Run it from the repository root so `actions` imports.
"""
from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys


LOOPBACK_DEFAULT = "127.0.0.1"


def loopback_host(value: str) -> str:
    """Accept only loopback addresses: the action server must never face a network."""
    try:
        if ipaddress.ip_address(value).is_loopback:
            return value
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{value!r} is not a loopback address")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m actions", description=__doc__.splitlines()[0])
    parser.add_argument("--host", type=loopback_host, default=LOOPBACK_DEFAULT)
    parser.add_argument("--port", type=int, default=int(os.environ.get("HOTLINE_ACTIONS_PORT", 5055)))
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from rasa_sdk.endpoint import create_app

    app = create_app("actions", cors_origins=None)
    logging.getLogger(__name__).info("action server on http://%s:%d", args.host, args.port)
    # Single worker, no access log (the access log would record every request line).
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
