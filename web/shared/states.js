// states.js -- an application's states [zh, en] (console and phone).
import { extend } from './i18n.js';
extend({
  'state.draft': ['草稿', 'Draft'],
  'state.awaiting_auth': ['待核验', 'Awaiting verification'],
  'state.submitted': ['已提交', 'Submitted'],
  'state.accepted': ['已受理', 'Accepted'],
  'state.on_hold': ['挂起', 'On hold'],
  'state.in_review': ['审核中', 'In review'],
  'state.approved': ['已批准', 'Approved'],
  'state.returned': ['已退回', 'Returned'],
  'state.rejected': ['不予批准', 'Rejected'],
  'state.completed': ['已办结', 'Completed'],
  'state.collected': ['已领取', 'Collected'],
  'state.withdrawn': ['已撤回', 'Withdrawn'],
});
