"""A script spark-submit can run (it takes a .py file, not a console command):

    spark-submit --master yarn "$(python -m sfc_check.cli.submit)" audit DATA_DIR --engine spark …

Run by Python without arguments it prints its own path; with arguments (as spark-submit runs it) it is sfc-check.
"""
import os
import sys

if __name__ == "__main__":
    if len(sys.argv) > 1:
        from sfc_check.cli.commands import main
        main()
    else:
        print(os.path.abspath(__file__))
