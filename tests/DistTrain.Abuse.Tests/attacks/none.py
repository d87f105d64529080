"""No attack: waits --duration seconds. The control row: every check must pass without an attack."""
import time

import attack


def main():
    args = attack.parser(__doc__, duration=3.0).parse_args()
    report = attack.Report("none", args)
    time.sleep(args.duration)
    report.finish()


if __name__ == "__main__":
    main()
