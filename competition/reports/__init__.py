"""What gets printed: the weekly bulletin (简报) and the meeting briefing pack (汇报会材料).

content.py gathers the figures (plain functions, a fixed number of queries), html.py lays
them out with the templates under templates/competition/reports/, pdf.py turns the HTML
into PDF bytes with WeasyPrint, and service.py runs the jobs: numbering, queueing after
commit, status transitions in the Report row, writing the file.
"""
