// PageLists (policies/lib/page-lists.ts): doubly linked page lists over typed arrays. moveHead
// within a page's own list only relinks it; across lists it moves the page with its weight.

import { describe, expect, it } from 'vitest';
import { PageLists, NO_PAGE } from '../policies/lib/page-lists.ts';

/** Pages of a list from head to tail, walked through next, and checked against the walk back through prev. */
function order(l: PageLists, list: number): number[] {
  const out: number[] = [];
  for (let p = l.head[list]; p !== NO_PAGE; p = l.next[p]) out.push(p);
  const back: number[] = [];
  for (let p = l.tail[list]; p !== NO_PAGE; p = l.prev[p]) back.push(p);
  expect(back.reverse()).toEqual(out);
  return out;
}

describe('PageLists.moveHead', () => {
  it('rotates the tail, a middle page and the head of one list to the head, keeping size and units', () => {
    const l = new PageLists(2, 16);
    for (const p of [1, 2, 3, 4]) l.pushHead(0, p); // head 4 3 2 1 tail
    l.moveHead(0, 1); // the tail (a walk keeping the page it looked at)
    expect(order(l, 0)).toEqual([1, 4, 3, 2]);
    l.moveHead(0, 3); // a middle page
    expect(order(l, 0)).toEqual([3, 1, 4, 2]);
    l.moveHead(0, 3); // the head already
    expect(order(l, 0)).toEqual([3, 1, 4, 2]);
    expect([l.size[0], l.units[0], l.listOf[2]]).toEqual([4, 4, 0]);
  });

  it('moves a page to another list with its weight, and a page on no list onto one', () => {
    const l = new PageLists(2, 16);
    l.setWeight(7, 512);
    for (const p of [5, 6, 7]) l.pushHead(0, p); // head 7 6 5 tail
    l.moveHead(1, 6);
    expect(order(l, 0)).toEqual([7, 5]);
    expect(order(l, 1)).toEqual([6]);
    l.moveHead(1, 7);
    expect(order(l, 1)).toEqual([7, 6]);
    expect([l.size[0], l.units[0], l.size[1], l.units[1]]).toEqual([1, 1, 2, 513]);
    l.moveHead(1, 9); // on no list
    expect(order(l, 1)).toEqual([9, 7, 6]);
    expect(l.listOf[9]).toBe(1);
  });

  it('keeps a one-page list whole when its page is moved to its own head', () => {
    const l = new PageLists(1, 16);
    l.pushHead(0, 3);
    l.moveHead(0, 3);
    expect(order(l, 0)).toEqual([3]);
    expect([l.head[0], l.tail[0], l.size[0]]).toEqual([3, 3, 1]);
  });
});
