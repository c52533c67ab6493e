// MathJax 3 for the docs site: $…$ and \(…\) inline, $$…$$ and \[…\] displayed, on every
// page (the lessons' notebook cells keep their $…$; the Markdown pages get \(…\) from
// pymdownx.arithmatex). Code and pre blocks are skipped, so a "$" in code stays text.
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"],
  },
};
