/* r2k-dash: keyboard use of the movers tables (AG Grid functions named in components/movers.py). */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

/* Enter or Space on a row charts its ticker, as a click does: the grid reports it as a click,
   and the selection follows the chart (Space's own row selection is suppressed). */
dagfuncs.r2kOpenRowOnKey = function (params, setGridProps) {
  const key = params.event && params.event.key;
  if ((key !== "Enter" && key !== " ") || !params.node || params.node.id == null) {
    return;
  }
  params.event.preventDefault();
  setGridProps({
    cellClicked: {
      value: params.value,
      colId: params.column.getColId(),
      rowIndex: params.rowIndex,
      rowId: params.node.id,
      timestamp: Date.now(),
    },
  });
};
