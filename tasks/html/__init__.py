"""HTML pages to main text and metadata: the machinery behind the HTML format (`tasks.formats.html`).

`text` finds the article and its paragraphs, `boilerplate` recognises furniture blocks
inside it, `metadata` reads title, date, author, language and canonical URL. They import
trafilatura, lxml and beautifulsoup4, so only the HTML format's `extract` imports them.
"""
