//! Charts of a run, drawn with plotters from the run directory's CSV rows alone (so
//! `connectsim plot` redraws exactly what `run` drew), each as PNG and SVG.
//!
//! The six charts of a run ([`CHARTS`]): `roi` (cumulative ROI by month per strategy, with
//! 95% bands, each line named at its end), `balance` (Connects balance per agent by month,
//! a panel per strategy), `funnel` (proposals, interviews, hires per agent, and the
//! conversion rates), `boost_prices` (the price of winning boost bids over the whole run
//! with the strategies' caps, and by month bids per auction, slots filled and mean price),
//! `roi_distribution` (the spread of per-agent ROI) and `market` (proposals per post, hire
//! share, platform revenue by month). Every chart that shows ROI says what it counts
//! (`present::ROI_BRIEF`).
//!
//! Text uses the DejaVu Sans font shipped in the `dejavu` crate, registered once before
//! anything is drawn, so no system font library is needed. Every file is written whole or
//! not at all ([`write_atomically`]). The look shared by all charts (palette, fonts, axes,
//! legends, lines with bands) lives in `layout`; each chart prepares its numbers from the
//! rows, then draws them on any plotters backend.

mod boost;
mod distribution;
mod funnel;
mod layout;
mod lines;
mod paired;
mod series;
mod sweep;
#[cfg(test)]
mod test_data;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::results::RunData;

use crate::atomic::{WriteError, write_atomically, write_file_atomically};
pub(crate) use layout::{BandLine, LegendEntry, SeriesStyle, Unit, Zero};
pub(crate) use lines::{Key, LinePanel, LinePanels, XAxis};
pub(crate) use paired::{Pair, PairedChart};
pub(crate) use series::{month_count, strategy_monthly_series};
pub use sweep::{SWEEP_CHARTS, draw_sweep};

/// The stems of a run's chart files, in the order they are drawn: each is written as
/// `<stem>.png` and `<stem>.svg`.
pub const CHARTS: [&str; 6] = [
    "roi",
    "balance",
    "funnel",
    "boost_prices",
    "roi_distribution",
    "market",
];

/// A chart that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// plotters failed while drawing or encoding the file.
    #[error("cannot draw {}: {message}", path.display())]
    Draw { path: PathBuf, message: String },
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// A plotters failure while drawing, before we know which file it was for.
#[derive(Debug)]
pub(crate) struct DrawError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

/// A chart ready to draw: its numbers are prepared, and it draws them on any backend.
pub(crate) trait Chart {
    /// Canvas size in pixels (width, height).
    fn size(&self) -> (u32, u32);
    /// Draws the whole chart on `root`, which covers the canvas.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>;
}

/// Draws the six charts of a run ([`CHARTS`]) into `out_dir` as PNG and SVG, and returns
/// the paths written.
pub fn draw_all(data: &RunData, out_dir: &Path) -> Result<Vec<PathBuf>, ChartError> {
    let strategies = series::strategy_names(data);
    let mut written = Vec::new();
    written.extend(save_chart(&lines::roi(data, &strategies), out_dir, "roi")?);
    written.extend(save_chart(
        &lines::balance(data, &strategies),
        out_dir,
        "balance",
    )?);
    let funnel = funnel::FunnelChart::new(data, &strategies);
    written.extend(save_chart(&funnel, out_dir, "funnel")?);
    let boost = boost::BoostChart::new(data);
    written.extend(save_chart(&boost, out_dir, "boost_prices")?);
    let spread = distribution::RoiDistributionChart::new(data, &strategies);
    written.extend(save_chart(&spread, out_dir, "roi_distribution")?);
    written.extend(save_chart(&lines::market(data), out_dir, "market")?);
    Ok(written)
}

/// Registers the DejaVu Sans font (regular and bold) as plotters' "sans-serif", once.
fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // Both font files are valid TrueType data shipped in the crate; a failure would
        // surface as a `FontUnavailable` drawing error naming the file.
        let _ = plotters::style::register_font(
            layout::FONT,
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font(layout::FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Draws `chart` into `<out_dir>/<stem>.png` and `<out_dir>/<stem>.svg`, each written whole
/// or not at all, and returns both paths.
pub(crate) fn save_chart<C: Chart>(
    chart: &C,
    out_dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>, ChartError> {
    register_fonts();
    let png = out_dir.join(format!("{stem}.png"));
    let draw_failed = |path: &Path| {
        let path = path.to_path_buf();
        move |e: DrawError| ChartError::Draw { path, message: e.0 }
    };
    write_atomically(&png, |tmp| {
        let root = BitMapBackend::new(tmp, chart.size()).into_drawing_area();
        chart
            .draw(&root)
            .and_then(|()| root.present().map_err(DrawError::from))
            .map_err(draw_failed(&png))
    })?;
    let svg = out_dir.join(format!("{stem}.svg"));
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, chart.size()).into_drawing_area();
        chart
            .draw(&root)
            .and_then(|()| root.present().map_err(DrawError::from))
            .map_err(draw_failed(&svg))?;
    }
    write_file_atomically(&svg, text.as_bytes())?;
    Ok(vec![png, svg])
}
