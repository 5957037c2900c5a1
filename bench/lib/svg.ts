// Hand-written SVG bar chart: one group per program, one bar per non-native runner, bar height =
// ratio of total wall time to native on a log2 axis, a marked 1.0 line (native), a legend.
// No dependencies; the output is a self-contained file that GitHub renders.
import { ratio, type ProgramResults, type RunnerState } from './results.js';

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(x: number): string {
  return x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1).replace(/\.0$/, '') : x.toString();
}

export function renderSvg(results: readonly ProgramResults[], runners: readonly RunnerState[], title: string): string {
  const bars = runners.filter((st) => st.runner.id !== 'native');
  const values = results.map((pr) => bars.map((st) => (st.unavailable ? undefined : ratio(pr, st.runner.id, 'total'))));
  const finite = values.flat().filter((v): v is number => v !== undefined && v > 0 && Number.isFinite(v));
  const lo = Math.pow(2, Math.min(-1, Math.floor(Math.log2(Math.min(1, ...finite)))));
  const hi = Math.pow(2, Math.max(2, Math.ceil(Math.log2(Math.max(1, ...finite)))));

  const barW = 14, groupGap = 18, left = 60, right = 20, top = 70, plotH = 300, bottom = 110;
  const groupW = bars.length * barW + groupGap;
  const width = left + right + Math.max(1, results.length) * groupW;
  const height = top + plotH + bottom;
  const y = (v: number): number => top + plotH - ((Math.log2(v) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo))) * plotH;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  o.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  o.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  o.push(`<text x="${left}" y="36" fill="#555">time relative to native gcc -O2 (log scale, lower is better; 1 = native)</text>`);
  // legend
  let lx = left;
  bars.forEach((st, i) => {
    const label = st.unavailable ? `${st.runner.label} (not available)` : st.runner.label;
    o.push(`<rect x="${lx}" y="46" width="12" height="12" fill="${st.unavailable ? '#ccc' : COLORS[i % COLORS.length]}"/>`);
    o.push(`<text x="${lx + 16}" y="56">${esc(label)}</text>`);
    lx += 28 + label.length * 6.5;
  });
  // axis grid: powers of two
  for (let v = lo; v <= hi * 1.0001; v *= 2) {
    const yy = y(v).toFixed(1);
    const one = Math.abs(v - 1) < 1e-9;
    o.push(`<line x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}" stroke="${one ? '#000' : '#ddd'}" stroke-width="${one ? 1.5 : 1}"${one ? '' : ' stroke-dasharray="3,3"'}/>`);
    o.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end"${one ? ' font-weight="bold"' : ''}>${fmt(v)}×</text>`);
  }
  o.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#000"/>`);
  // bars
  results.forEach((pr, g) => {
    const gx = left + groupGap / 2 + g * groupW;
    bars.forEach((st, i) => {
      const v = values[g]![i];
      const x = gx + i * barW;
      if (v === undefined || !(v > 0) || !Number.isFinite(v)) {
        if (!st.unavailable) {
          o.push(`<text x="${x + barW / 2}" y="${y(1) - 4}" text-anchor="middle" fill="#d00" font-weight="bold">✗<title>${esc(`${pr.program.name} / ${st.runner.label}: failed`)}</title></text>`);
        }
        return;
      }
      const y0 = y(1), y1 = y(v);
      o.push(`<rect x="${x}" y="${Math.min(y0, y1).toFixed(1)}" width="${barW - 2}" height="${Math.max(1, Math.abs(y1 - y0)).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${pr.program.name} / ${st.runner.label}: ${v.toFixed(2)}×`)}</title></rect>`);
    });
    const cx = gx + (bars.length * barW) / 2;
    o.push(`<text transform="translate(${cx.toFixed(1)},${top + plotH + 12}) rotate(-40)" text-anchor="end">${esc(pr.program.name)}</text>`);
  });
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}
