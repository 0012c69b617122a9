// text.js -- the phone's texts that several of its modules show (the
// login and credential forms, the face check, the tabs, the tables):
// one zh/en pair per wording, under "ph.*", and the document types
// ("idtype.<id_type>", the API's id_type values). Each module keeps its
// own texts in its own extend() and imports this one for the shared
// ones; an ES module runs once, so the pairs are added once however
// many modules import it.
import { extend } from '../shared/i18n.js';

extend({
  'ph.nav': ['手机办理功能', 'Phone service sections'],
  'ph.apply': ['在线申请', 'Apply online'],
  'ph.proxy': ['为长辈代办', 'Apply for an elder'],
  // the person's document, typed on the phone
  'ph.idtype': ['证件类型', 'Document type'],
  'ph.number': ['证件号码', 'Document number'],
  'ph.name': ['姓名', 'Name'],
  'idtype.resident_id': ['居民身份证', 'Resident ID card'],
  'idtype.hk_macao_permit': ['港澳居民来往内地通行证', 'Mainland travel permit (HK/Macao)'],
  'idtype.taiwan_permit': ['台湾居民来往大陆通行证', 'Mainland travel permit (Taiwan)'],
  'idtype.passport': ['护照', 'Passport'],
  // the face check and its refusals
  'ph.noconsent': ['未同意人脸采集：请使用非人脸方式（到窗口办理）。', 'No consent for the face: please use the non-face way (a service window).'],
  'ph.nodevice': ['本页面未登记为办理终端：请从政务服务App打开。', 'This page is not registered as a service device: open it from the government app.'],
  'ph.camera': ['前置摄像头', 'Front camera'],
  'ph.checking': ['正在核验…', 'Checking…'],
  'ph.retry': ['重新核验', 'Try again'],
  'ph.nextstep': ['下一步：', 'Next step: '],
  // table columns and fields
  'ph.matter': ['事项', 'Matter'],
  'ph.state': ['状态', 'State'],
  'ph.note': ['说明', 'Note'],
});
