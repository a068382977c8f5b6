//! The look every chart shares: fonts and sizes, the Okabe-Ito palette, axes whose ticks
//! we choose (round numbers, whole months, percent), the title block, the legend column,
//! and lines drawn over their 95% bands.
//!
//! All panels use the same coordinate type ([`Coords`]: f64 on both axes, with grid lines
//! and labels only at the ticks we choose), so one set of helpers serves every chart.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawError;
use crate::present::grouped;
use crate::stats::MeanCi;

/// The fewest ticks a linear axis gets, where a round step gives them.
const MIN_TICKS: usize = 4;
/// Default canvas size in pixels.
pub(crate) const SIZE: (u32, u32) = (1600, 1000);
/// The font family every text uses (registered from the `dejavu` crate).
pub(crate) const FONT: &str = "sans-serif";
const TITLE_PX: u32 = 36;
const SUBTITLE_PX: u32 = 22;
const CAPTION_PX: u32 = 26;
const DESC_PX: u32 = 24;
pub(crate) const TICK_PX: u32 = 20;
const LEGEND_PX: u32 = 22;
/// Opacity of the 95% bands of a panel of `lines` lines: light enough that lines stay
/// visible through any band, and lighter the more bands overlap. Each band's edges are
/// also drawn, thin and light, so a narrow band still shows.
fn band_alpha(lines: usize) -> f64 {
    (1.0 / lines.max(1) as f64).clamp(0.14, 0.22)
}
const LINE_WIDTH: u32 = 3;
const MARKER_PX: u32 = 5;

/// Grid lines.
const GRID: RGBColor = RGBColor(225, 225, 225);
/// Zero lines and other references.
const REFERENCE: RGBColor = RGBColor(90, 90, 90);
/// Secondary text (subtitles, notes).
const MUTED: RGBColor = RGBColor(80, 80, 80);

/// The series styles, in the order series get them: the Okabe-Ito colours that are
/// clearly apart on white, each with its own marker shape. The sixth and seventh colours
/// (vermillion, sky blue) are near the second and first (orange, blue), so they are also
/// dashed; yellow is left out, as it is too light for a line on white.
const STYLES: [SeriesStyle; 7] = [
    SeriesStyle::solid(RGBColor(0, 114, 178), Shape::Circle), // blue
    SeriesStyle::solid(RGBColor(230, 159, 0), Shape::Square), // orange
    SeriesStyle::solid(RGBColor(0, 158, 115), Shape::Triangle), // bluish green
    SeriesStyle::solid(RGBColor(204, 121, 167), Shape::Diamond), // reddish purple
    SeriesStyle::solid(RGBColor(0, 0, 0), Shape::Circle),     // black
    SeriesStyle::dashed(RGBColor(213, 94, 0), Shape::Triangle), // vermillion
    SeriesStyle::dashed(RGBColor(86, 180, 233), Shape::Diamond), // sky blue
];

/// The shape of a series' markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// How one series is drawn: its colour, its marker, and whether its line is dashed. The
/// one place every chart takes its series' looks from ([`SeriesStyle::nth`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SeriesStyle {
    pub color: RGBColor,
    pub shape: Shape,
    pub dashed: bool,
}

impl SeriesStyle {
    const fn solid(color: RGBColor, shape: Shape) -> Self {
        SeriesStyle {
            color,
            shape,
            dashed: false,
        }
    }

    const fn dashed(color: RGBColor, shape: Shape) -> Self {
        SeriesStyle {
            color,
            shape,
            dashed: true,
        }
    }

    /// The style of the `i`th series (0-based) of a chart: seven distinct looks, then
    /// the same seven with the dashing swapped.
    pub fn nth(i: usize) -> Self {
        let style = STYLES[i % STYLES.len()];
        SeriesStyle {
            dashed: style.dashed != ((i / STYLES.len()) % 2 == 1),
            ..style
        }
    }

    /// The corners of this series' marker around (0, 0), about `r` pixels in radius: a
    /// polygon, so every shape is drawn by the same element type.
    pub fn marker_corners(&self, r: i32) -> Vec<(i32, i32)> {
        let r = f64::from(r);
        let corner = |x: f64, y: f64| ((x * r).round() as i32, (y * r).round() as i32);
        match self.shape {
            Shape::Circle => (0..16)
                .map(|k| {
                    let angle = f64::from(k) * std::f64::consts::TAU / 16.0;
                    corner(angle.cos(), angle.sin())
                })
                .collect(),
            Shape::Square => vec![
                corner(-0.9, -0.9),
                corner(0.9, -0.9),
                corner(0.9, 0.9),
                corner(-0.9, 0.9),
            ],
            Shape::Triangle => vec![corner(0.0, -1.3), corner(1.2, 0.9), corner(-1.2, 0.9)],
            Shape::Diamond => vec![
                corner(0.0, -1.3),
                corner(1.3, 0.0),
                corner(0.0, 1.3),
                corner(-1.3, 0.0),
            ],
        }
    }
}

/// How an axis writes its tick values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unit {
    /// Plain numbers.
    Number,
    /// Ratios written as percent (0.5 → "50%").
    Percent,
    /// Differences of ratios written as signed percentage points (0.05 → "+5 pp").
    Points,
}

/// One axis of a panel: range, tick positions, description and tick labels.
pub(crate) struct Axis<'a> {
    pub range: Range<f64>,
    pub ticks: Vec<f64>,
    pub desc: String,
    pub label: Box<dyn Fn(f64) -> String + 'a>,
}

impl Axis<'_> {
    /// A linear value axis over `range` with about `count` round ticks, and at least
    /// [`MIN_TICKS`] where a round step gives them (a vertical axis: its labels never
    /// overlap), written in `unit`.
    pub fn linear(range: Range<f64>, count: usize, desc: &str, unit: Unit) -> Self {
        Axis::linear_with(range, count, MIN_TICKS, desc, unit)
    }

    /// A linear axis along a narrow panel's width: about `count` round ticks, as few as
    /// the round step gives, so the labels keep apart.
    pub fn linear_across(range: Range<f64>, count: usize, desc: &str, unit: Unit) -> Self {
        Axis::linear_with(range, count, 0, desc, unit)
    }

    fn linear_with(range: Range<f64>, count: usize, min: usize, desc: &str, unit: Unit) -> Self {
        let mut step = nice_step((range.end - range.start) / count.max(1) as f64);
        for _ in 0..4 {
            let finer = finer_step(step);
            let (now, then) = (ticks(&range, step).len(), ticks(&range, finer).len());
            if now >= min || then <= now {
                break;
            }
            step = finer;
        }
        let scale = if unit == Unit::Number { 1.0 } else { 100.0 };
        let decimals = decimals(step * scale);
        let label = move |v: f64| {
            // Snap values that are 0 up to rounding, so no "-0" appears.
            let v = if v.abs() < step * 1e-6 { 0.0 } else { v };
            // Thousands grouped and a true minus sign, as everywhere a person reads.
            match unit {
                Unit::Number => grouped(v, decimals),
                Unit::Percent => format!("{}%", grouped(v * 100.0, decimals)),
                Unit::Points if v > 0.0 => format!("+{} pp", grouped(v * 100.0, decimals)),
                Unit::Points => format!("{} pp", grouped(v * 100.0, decimals)),
            }
        };
        Axis {
            ticks: ticks(&range, step),
            range,
            desc: desc.to_string(),
            label: Box::new(label),
        }
    }

    /// An axis over `range` with about `count` ticks on whole numbers.
    pub fn integers(range: Range<f64>, count: usize, desc: &str) -> Self {
        let step = nice_step((range.end - range.start) / count.max(1) as f64)
            .ceil()
            .max(1.0);
        Axis {
            ticks: ticks(&range, step),
            range,
            desc: desc.to_string(),
            label: Box::new(|v: f64| format!("{v:.0}")),
        }
    }

    /// The month axis of a run of `months` months, `width` pixels wide: whole months, a
    /// tick every 60 pixels at most, and at most about 13 ticks.
    pub fn months(months: u32, width: u32) -> Self {
        let last = f64::from(months.max(1) - 1);
        let count = (width / 60).clamp(2, 12) as usize;
        Axis::integers(-0.4..last + 0.4, count, "month")
    }

    /// An axis of categories named by `labels`, at 0, 1, … in order, described by `desc`.
    pub fn categories(labels: Vec<String>, desc: String) -> Self {
        let n = labels.len();
        Axis {
            range: -0.5..n as f64 - 0.5,
            ticks: (0..n).map(|i| i as f64).collect(),
            desc,
            label: Box::new(move |v: f64| {
                labels
                    .get(v.round().max(0.0) as usize)
                    .cloned()
                    .unwrap_or_default()
            }),
        }
    }

    /// An axis of rows named by `labels`, the first at the top (y = len − 1), the last at
    /// y = 0.
    pub fn rows(labels: Vec<String>) -> Self {
        let n = labels.len();
        Axis {
            range: -0.6..n as f64 - 0.4,
            ticks: (0..n).map(|i| i as f64).collect(),
            desc: String::new(),
            label: Box::new(move |y: f64| {
                let row = n.checked_sub(1 + y.round().max(0.0) as usize);
                row.and_then(|i| labels.get(i)).cloned().unwrap_or_default()
            }),
        }
    }

    /// The y of the `i`th of `n` rows (see [`Axis::rows`]).
    pub fn row_y(i: usize, n: usize) -> f64 {
        n.saturating_sub(1 + i) as f64
    }
}

/// A round step (1, 2, 2.5 or 5 times a power of ten) of at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let factor = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|f| f * magnitude >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0);
    factor * magnitude
}

/// The next round step below `step` (a round step): 10 → 5 → 2.5 → 2 → 1.
fn finer_step(step: f64) -> f64 {
    let magnitude = 10f64.powf(step.log10().floor());
    let factor = step / magnitude;
    let finer = [(1.5, 0.5), (2.2, 1.0), (3.0, 2.0), (6.0, 2.5)]
        .into_iter()
        .find(|(below, _)| factor < *below)
        .map_or(5.0, |(_, f)| f);
    finer * magnitude
}

/// The decimals needed to write multiples of `step` exactly (at most 6).
fn decimals(step: f64) -> usize {
    (0..6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(6)
}

/// At most this many ticks on an axis: more means a range too wide for its step (values
/// near the largest floats, from a crafted file), which then gets none.
const MAX_TICKS: i64 = 1000;

/// The multiples of `step` inside `range` (none if there would be more than
/// [`MAX_TICKS`]).
fn ticks(range: &Range<f64>, step: f64) -> Vec<f64> {
    let first = (range.start / step).ceil() as i64;
    let last = (range.end / step + 1e-9).floor() as i64;
    if last.saturating_sub(first) > MAX_TICKS {
        return Vec::new();
    }
    (first..=last).map(|k| k as f64 * step).collect()
}

/// `v` with about three significant digits, for values written on a chart.
pub(crate) fn short_number(v: f64) -> String {
    let magnitude = v.abs();
    if magnitude >= 100.0 {
        format!("{v:.0}")
    } else if magnitude >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Where 0 sits in a value axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Zero {
    /// Only where the values reach it.
    Free,
    /// Always inside the range (counts, money, ROI's break-even).
    Include,
    /// The axis starts at 0 exactly: the base of bars.
    Base,
}

/// A range covering the finite `values` (and 0 as `zero` says), padded by 6% on each
/// side but a [`Zero::Base`]; 0..1 when there are no values.
pub(crate) fn span(values: impl IntoIterator<Item = f64>, zero: Zero) -> Range<f64> {
    let (mut lo, mut hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return 0.0..1.0;
    }
    if zero != Zero::Free {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        let half = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        return lo - half..hi + half;
    }
    let pad = (hi - lo) * 0.06;
    let lo = if zero == Zero::Base && lo == 0.0 {
        0.0
    } else {
        lo - pad
    };
    lo..hi + pad
}

/// A linear f64 axis whose grid lines and labels are exactly the given ticks.
pub(crate) struct Ticked {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(axis: &Axis) -> Self {
        Ticked {
            linear: axis.range.clone().into(),
            ticks: axis.ticks.clone(),
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// The coordinates of every panel.
pub(crate) type Coords = Cartesian2d<Ticked, Ticked>;
/// A drawing area of some backend, in pixels.
pub(crate) type Area<DB> = DrawingArea<DB, Shift>;
/// A panel: a chart context on a drawing area of some backend.
pub(crate) type Panel<'a, DB> = ChartContext<'a, DB, Coords>;

/// Text of `px` pixels in the chart font, black.
pub(crate) fn text_style(px: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font())
}

/// The width in pixels of the widest of `texts` at `px` pixels.
pub(crate) fn widest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    texts: impl IntoIterator<Item = String>,
    px: u32,
) -> Result<u32, DrawError> {
    let style = text_style(px);
    let mut widest = 0;
    for text in texts {
        widest = widest.max(area.estimate_text_size(&text, &style)?.0);
    }
    Ok(widest)
}

/// The width of the label area left of a panel's plot: tick labels plus the description.
pub(crate) fn y_label_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y: &Axis,
) -> Result<u32, DrawError> {
    let labels = widest(area, y.ticks.iter().map(|&t| (y.label)(t)), TICK_PX)?;
    let desc = if y.desc.is_empty() { 0 } else { DESC_PX + 20 };
    Ok(labels + desc + 24)
}

/// Builds a panel on `area` with an optional caption above it and both axes drawn: light
/// grid lines at the ticks only, tick labels of 20 px, descriptions of 24 px.
pub(crate) fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: Option<&str>,
    x: &Axis,
    y: &Axis,
) -> Result<Panel<'a, DB>, DrawError> {
    let y_width = y_label_width(area, y)?;
    let x_height = TICK_PX + 18 + if x.desc.is_empty() { 0 } else { DESC_PX + 16 };
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(16)
        .margin_right(28)
        .x_label_area_size(x_height)
        .y_label_area_size(y_width);
    if let Some(caption) = caption {
        builder.caption(caption, text_style(CAPTION_PX));
    }
    let mut chart = builder.build_cartesian_2d(Ticked::new(x), Ticked::new(y))?;
    let x_label = |v: &f64| (x.label)(*v);
    let y_label = |v: &f64| (y.label)(*v);
    chart
        .configure_mesh()
        .x_desc(x.desc.as_str())
        .y_desc(y.desc.as_str())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(text_style(TICK_PX))
        .axis_desc_style(text_style(DESC_PX))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED)
        .draw()?;
    Ok(chart)
}

/// Fills the canvas white, writes the title (bold) and the subtitle's lines under it, and
/// returns the area below them.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    root.fill(&WHITE)?;
    let title_style = TextStyle::from((FONT, TITLE_PX, FontStyle::Bold).into_font());
    root.draw_text(title, &title_style, (28, 20))?;
    let subtitle_style = text_style(SUBTITLE_PX).color(&MUTED);
    let mut y = 20 + TITLE_PX as i32 + 14;
    for line in subtitle.lines() {
        root.draw_text(line, &subtitle_style, (28, y))?;
        y += SUBTITLE_PX as i32 + 8;
    }
    Ok(root.split_vertically(y + 12).1)
}

/// Writes `text` in the middle of `area` (for "no data" and similar notes).
pub(crate) fn centered_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> Result<(), DrawError> {
    let (w, h) = area.dim_in_pixel();
    let style = text_style(CAPTION_PX)
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(text, &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(())
}

/// One entry of a legend: a line's sample (its stroke and marker) and its label.
#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    pub label: String,
    pub style: SeriesStyle,
}

const LEGEND_SAMPLE_PX: i32 = 46;
const LEGEND_ROW_PX: i32 = 38;

/// Splits a legend column off the right of `area`, draws the legend (a heading, then one
/// row per entry) in it, and returns the rest of `area`. No entries: `area` unchanged.
pub(crate) fn with_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let labels = widest(area, entries.iter().map(|e| e.label.clone()), LEGEND_PX)?;
    let heading_width = widest(area, [heading.to_string()], LEGEND_PX)?;
    let width = (labels + LEGEND_SAMPLE_PX as u32 + 16).max(heading_width) + 40;
    let (w, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(w.saturating_sub(width));
    draw_legend(&legend, heading, entries)?;
    Ok(plot)
}

/// Draws a legend from the top of `area`: the heading in bold, then the entries.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[LegendEntry],
) -> Result<(), DrawError> {
    let heading_style = TextStyle::from((FONT, LEGEND_PX, FontStyle::Bold).into_font());
    let (x0, mut y) = (12, 24);
    area.draw_text(heading, &heading_style, (x0, y))?;
    y += LEGEND_ROW_PX + 6;
    for entry in entries {
        draw_entry(area, entry, (x0, y))?;
        y += LEGEND_ROW_PX;
    }
    Ok(())
}

/// Draws one legend entry, its sample starting at `at` (the vertical middle of the row).
fn draw_entry<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entry: &LegendEntry,
    (x0, y): (i32, i32),
) -> Result<(), DrawError> {
    let color = entry.style.color;
    let from = (x0, y);
    let to = (x0 + LEGEND_SAMPLE_PX, y);
    let stroke = color.stroke_width(LINE_WIDTH + 1);
    if entry.style.dashed {
        area.draw(&DashedPathElement::new([from, to], 9, 6, stroke))?;
    } else {
        area.draw(&PathElement::new([from, to], stroke))?;
    }
    let centre = (x0 + LEGEND_SAMPLE_PX / 2, y);
    let corners = entry.style.marker_corners(MARKER_PX as i32 + 1);
    area.draw(&(EmptyElement::at(centre) + Polygon::new(corners, color.filled())))?;
    let label_style = text_style(LEGEND_PX).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw_text(&entry.label, &label_style, (x0 + LEGEND_SAMPLE_PX + 14, y))?;
    Ok(())
}

/// Where the leader of an end label starts and where its sample begins, in the label
/// column.
const LEADER_PX: i32 = 18;

/// Splits a column for end labels off the right of `area`: (the rest, the column).
pub(crate) fn end_label_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<(Area<DB>, Area<DB>), DrawError> {
    let labels = widest(area, entries.iter().map(|e| e.label.clone()), LEGEND_PX)?;
    let width = labels + (LEADER_PX + LEGEND_SAMPLE_PX + 14) as u32 + 16;
    let (w, _) = area.dim_in_pixel();
    Ok(area.split_horizontally(w.saturating_sub(width)))
}

/// The rows of labels wanted at `wanted` (pixels, any order), moved apart so no two are
/// closer than `gap` and all lie within `0..=height` where they fit; in `wanted`'s order.
fn spread_labels(wanted: &[i32], gap: i32, height: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i]);
    let mut placed = vec![0; wanted.len()];
    let mut floor = i32::MIN;
    for &i in &order {
        placed[i] = wanted[i].max(floor).max(gap / 2);
        floor = placed[i].saturating_add(gap);
    }
    let mut ceiling = height - gap / 2;
    for &i in order.iter().rev() {
        placed[i] = placed[i].min(ceiling);
        ceiling = placed[i].saturating_sub(gap);
    }
    placed
}

/// Names each line at its end in `column` (split off by [`end_label_column`]): `ends`
/// are where the lines end in the backend's pixels, one per entry (none: no label). The
/// labels keep the lines' vertical order and are moved apart where lines end close
/// together, with a leader from the line's height.
pub(crate) fn draw_end_labels<DB: DrawingBackend>(
    column: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    ends: &[Option<(i32, i32)>],
) -> Result<(), DrawError> {
    let (_, base_y) = column.get_base_pixel();
    let (_, height) = column.dim_in_pixel();
    let shown: Vec<(&LegendEntry, i32)> = entries
        .iter()
        .zip(ends)
        .filter_map(|(e, end)| end.map(|(_, y)| (e, y - base_y)))
        .collect();
    let wanted: Vec<i32> = shown.iter().map(|(_, y)| *y).collect();
    let placed = spread_labels(&wanted, LEGEND_PX as i32 + 8, height as i32);
    for ((entry, from), to) in shown.iter().zip(placed) {
        let leader = entry.style.color.stroke_width(2);
        column.draw(&PathElement::new([(0, *from), (LEADER_PX, to)], leader))?;
        draw_entry(column, entry, (LEADER_PX, to))?;
    }
    Ok(())
}

/// A line of means by x (month) with its 95% interval where one is defined.
#[derive(Debug, Clone)]
pub(crate) struct BandLine {
    pub style: SeriesStyle,
    /// (x, mean and interval), by increasing x.
    pub points: Vec<(f64, MeanCi)>,
}

impl BandLine {
    /// Every value the line and its band reach (for the axis range).
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.points
            .iter()
            .flat_map(|(_, c)| [Some(c.mean), c.low, c.high])
            .flatten()
    }
}

/// Draws the 95% bands of all `lines` first, then all the lines with their markers on
/// top, so no band ever hides a line. Runs of points without an interval (one
/// replication) get no band; a lone point with one gets a vertical bar.
pub(crate) fn draw_band_lines<DB: DrawingBackend>(
    chart: &mut Panel<'_, DB>,
    lines: &[BandLine],
) -> Result<(), DrawError> {
    let alpha = band_alpha(lines.len());
    for line in lines {
        let fill = line.style.color.mix(alpha).filled();
        for run in band_runs(&line.points) {
            if let [(x, low, high)] = run.as_slice() {
                let bar = line.style.color.mix(0.4).stroke_width(LINE_WIDTH);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(*x, *low), (*x, *high)],
                    bar,
                )))?;
            } else {
                let upper: Vec<(f64, f64)> = run.iter().map(|&(x, _, high)| (x, high)).collect();
                let lower: Vec<(f64, f64)> =
                    run.iter().rev().map(|&(x, low, _)| (x, low)).collect();
                let edge = line.style.color.mix(0.5).stroke_width(1);
                chart.draw_series([
                    PathElement::new(upper.clone(), edge),
                    PathElement::new(lower.clone(), edge),
                ])?;
                chart.draw_series(std::iter::once(Polygon::new(
                    upper.into_iter().chain(lower).collect::<Vec<_>>(),
                    fill,
                )))?;
            }
        }
    }
    for line in lines {
        let points: Vec<(f64, f64)> = line.points.iter().map(|(x, c)| (*x, c.mean)).collect();
        let stroke = line.style.color.stroke_width(LINE_WIDTH);
        if line.style.dashed {
            chart.draw_series(DashedLineSeries::new(points.clone(), 12, 8, stroke))?;
        } else {
            chart.draw_series(LineSeries::new(points.clone(), stroke))?;
        }
        let r = MARKER_PX as i32;
        let fill = line.style.color.filled();
        let corners = line.style.marker_corners(r);
        chart.draw_series(
            points
                .iter()
                .map(|&p| EmptyElement::at(p) + Polygon::new(corners.clone(), fill)),
        )?;
    }
    Ok(())
}

/// The runs of consecutive points that have an interval, as (x, low, high).
fn band_runs(points: &[(f64, MeanCi)]) -> Vec<Vec<(f64, f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new()];
    for (x, ci) in points {
        match (ci.low, ci.high) {
            (Some(low), Some(high)) => runs
                .last_mut()
                .into_iter()
                .for_each(|r| r.push((*x, low, high))),
            _ => runs.push(Vec::new()),
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// Draws a straight reference line (a zero line), dashed so no data line is mistaken for
/// it, from `from` to `to` in data coordinates.
pub(crate) fn reference_line<DB: DrawingBackend>(
    chart: &mut Panel<'_, DB>,
    from: (f64, f64),
    to: (f64, f64),
) -> Result<(), DrawError> {
    chart.draw_series(std::iter::once(DashedPathElement::new(
        vec![from, to],
        10,
        6,
        REFERENCE.stroke_width(2),
    )))?;
    Ok(())
}

/// Writes `label` just above a reference line, ending at `at` (its right end).
pub(crate) fn reference_label<DB: DrawingBackend>(
    chart: &mut Panel<'_, DB>,
    at: (f64, f64),
    label: &str,
) -> Result<(), DrawError> {
    let style = text_style(TICK_PX)
        .color(&REFERENCE)
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    chart.draw_series(std::iter::once(
        EmptyElement::at(at) + Text::new(label.to_string(), (-10, -6), style),
    ))?;
    Ok(())
}

/// Half the height of a bar or box in a panel of `rows` rows, in rows: `widest` of a row,
/// but no more than `max_px` pixels, so a few rows don't get giant bars.
pub(crate) fn row_half<DB: DrawingBackend>(
    chart: &Panel<'_, DB>,
    rows: usize,
    widest: f64,
    max_px: f64,
) -> f64 {
    let (_, height) = chart.plotting_area().dim_in_pixel();
    let row_px = f64::from(height) / rows.max(1) as f64;
    widest.min(max_px / row_px.max(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(2.2), 2.5);
        assert_eq!(nice_step(33.0), 50.0);
        assert_eq!(nice_step(0.012), 0.02);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(decimals(0.25), 2);
        let finer: Vec<f64> = [10.0, 5.0, 2.5, 2.0, 1.0].map(finer_step).into();
        assert_eq!(finer, [5.0, 2.5, 2.0, 1.0, 0.5]);
        assert_eq!(decimals(50.0), 0);
    }

    #[test]
    fn axes_label_their_ticks() {
        let axis = Axis::linear(-1.0..0.5, 6, "ROI", Unit::Percent);
        let labels: Vec<String> = axis.ticks.iter().map(|&t| (axis.label)(t)).collect();
        assert_eq!(
            labels,
            ["−100%", "−75%", "−50%", "−25%", "0%", "25%", "50%"]
        );
        let points = Axis::linear(-2.5..15.0, 6, "", Unit::Points);
        assert_eq!((points.label)(-2.5), "−250 pp");
        assert_eq!((points.label)(10.0), "+1,000 pp");
        assert_eq!((points.label)(0.0), "0 pp");
        let months = Axis::months(24, 1600);
        assert_eq!(
            months.ticks,
            [
                0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0
            ]
        );
        assert_eq!(Axis::months(4, 1600).ticks, [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(Axis::months(24, 360).ticks, [0.0, 5.0, 10.0, 15.0, 20.0]);
    }

    #[test]
    fn linear_axes_get_at_least_four_ticks() {
        // 0.37 / 4 rounds up to a step of 0.1: three ticks; 0.05 gives seven.
        let axis = Axis::linear(0.02..0.39, 4, "", Unit::Percent);
        assert_eq!(axis.ticks.len(), 7, "{:?}", axis.ticks);
        let across = Axis::linear_across(0.02..0.39, 4, "", Unit::Percent);
        assert_eq!(across.ticks.len(), 3, "{:?}", across.ticks);
        for (range, count) in [(0.0..1.0, 2), (-3.0..250.0, 3), (9.5..10.4, 3)] {
            let axis = Axis::linear(range.clone(), count, "", Unit::Number);
            assert!(axis.ticks.len() >= MIN_TICKS, "{range:?}: {:?}", axis.ticks);
        }
    }

    #[test]
    fn spans_pad_and_handle_degenerate_data() {
        assert_eq!(span([], Zero::Free), 0.0..1.0);
        assert_eq!(span([2.0, 2.0], Zero::Free), 1.8..2.2);
        assert!(span([2.0, 3.0], Zero::Include).start < 0.0);
        let s = span([2.0, 10.0], Zero::Base);
        assert_eq!(s.start, 0.0);
        assert!((s.end - 10.6).abs() < 1e-9);
        assert!(span([f64::NAN, 1.0, 3.0], Zero::Free).start < 1.0);
        // Values near the largest floats: an infinite range, and no tick rather than 2^64.
        let huge = span([-1e308, 1e308], Zero::Free);
        assert!(Axis::linear(huge, 5, "", Unit::Number).ticks.is_empty());
    }

    #[test]
    fn bands_break_where_the_interval_is_missing() {
        let ci = |low: Option<f64>| MeanCi {
            mean: 0.0,
            low,
            high: low.map(|l| l + 1.0),
            n: 2,
        };
        let points = vec![
            (0.0, ci(Some(0.0))),
            (1.0, ci(Some(0.0))),
            (2.0, ci(None)),
            (3.0, ci(Some(1.0))),
        ];
        let runs = band_runs(&points);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].len(), 2);
        assert_eq!(runs[1], vec![(3.0, 1.0, 2.0)]);
    }

    #[test]
    fn end_labels_keep_their_order_and_move_apart() {
        let placed = spread_labels(&[100, 95, 400, 990], 30, 1000);
        assert_eq!(placed, [125, 95, 400, 985]);
        // Crowded at the bottom: pushed up, still in order.
        let placed = spread_labels(&[990, 995, 999], 30, 1000);
        assert_eq!(placed, [925, 955, 985]);
    }
}
